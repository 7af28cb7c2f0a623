"""`python -m bot bench`: the peak-RSS figure is the bot's classifier process, measured apart.

The bench process builds and holds every backend at once (and fits the lexical one, which the
bot leaves to a throwaway child), so its own high-water mark says nothing about what a
deployment needs for the model. The serving row starts the bot's own classifier service, whose
spawned worker classifies there."""

from __future__ import annotations

from bot.devtools.benchmark import serving_peak_rss

KK = "Сәлеметсіз бе, банктің қауіпсіздік қызметі. SMS-тағы кодты айтыңыз"
RU = "Здравствуйте, служба безопасности банка. Продиктуйте код из SMS"


def test_the_serving_figure_comes_from_a_classifier_worker_that_answered_kazakh_and_russian(settings, classifier):
    # the session's lexical classifier (the fixture) is in the model cache, which the worker loads
    lexical = settings.classifier.model_copy(update={"backend": "lexical"})
    rss, answered = serving_peak_rss(lexical, [KK, RU, "   "])
    assert answered == 2  # the blank text is refused, the kk and ru ones are classified
    # A real process's high-water mark: the bot's imports alone pass 100 MB, and a lexical
    # worker stays far below the 500 MB budget the bench checks the model against.
    assert 100 < rss < 500
