"""The knowledge base loads, covers every scheme, and a broken file says what to fix."""

import shutil
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.loader import DEFAULT_DIR

TAXONOMY = {
    "bank_security_call", "law_enforcement_impersonation", "telecom_operator", "delivery_parcel",
    "marketplace_prepayment", "fake_investment", "hacked_friend_money", "account_takeover_code",
    "prize_lottery", "loan_in_your_name", "easy_earnings_job", "romance_dating",
    "relative_emergency", "fake_compensation",
}


def test_every_taxonomy_scheme_is_present(knowledge):
    assert TAXONOMY <= set(knowledge.schemes)


@pytest.mark.parametrize("scheme_id", sorted(TAXONOMY))
def test_each_scheme_has_enough_examples_in_both_languages(knowledge, scheme_id):
    examples = knowledge.schemes[scheme_id].examples
    assert len(examples) >= 30
    assert sum(e.lang == "kk" for e in examples) >= 12
    assert sum(e.lang == "ru" for e in examples) >= 12
    assert {"message", "situation"} <= {e.kind for e in examples}


def test_enough_benign_examples(knowledge):
    assert len(knowledge.benign) >= 150


def test_only_verified_contacts_are_reported(knowledge):
    for scheme in knowledge.schemes.values():
        for ref in scheme.report_via:
            assert knowledge.contacts[ref].confidence in ("verified", "advice")


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_field_names_file_and_field(kb_copy):
    _edit(kb_copy / "schemes" / "prize_lottery.yaml", "summary:", "summery:")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_copy)
    message = str(err.value)
    assert "schemes/prize_lottery.yaml" in message
    assert "summary: Field required" in message
    assert "summery: Extra inputs are not permitted" in message


def test_yaml_syntax_error_names_the_line(kb_copy):
    path = kb_copy / "contacts.yaml"
    path.write_text("contacts:\n  - id: x\n   bad: [\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"contacts\.yaml: line \d+, column \d+: YAML syntax error"):
        load_knowledge(kb_copy)


def test_an_unverified_number_in_a_reply_is_refused(kb_copy):
    _edit(kb_copy / "schemes" / "bank_security_call.yaml", "what_to_do:\n",
          "what_to_do:\n  - {kk: \"9999 нөміріне қоңырау шалыңыз\", ru: \"Позвоните на 9999\"}\n")
    with pytest.raises(KnowledgeError, match="the number 9999 .* is not a verified contact"):
        load_knowledge(kb_copy)


def test_a_likely_contact_cannot_be_shown(kb_copy):
    _edit(kb_copy / "schemes" / "fake_investment.yaml", "report_via: [", "report_via: [ardfm_1459, ")
    with pytest.raises(KnowledgeError, match="contact 'ardfm_1459' is likely, not verified"):
        load_knowledge(kb_copy)


def test_an_unknown_contact_is_refused(kb_copy):
    _edit(kb_copy / "schemes" / "fake_investment.yaml", "report_via: [", "report_via: [kaspi_9999, ")
    with pytest.raises(KnowledgeError, match="unknown contact 'kaspi_9999'"):
        load_knowledge(kb_copy)


def test_the_same_example_under_two_labels_is_refused(kb_copy):
    scheme = load_knowledge(kb_copy).schemes["prize_lottery"].examples[0].text
    benign = kb_copy / "benign" / "extra.yaml"
    benign.write_text(f'examples:\n  - {{lang: ru, kind: message, text: "{scheme}"}}\n', encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"appears with two labels \(prize_lottery, benign\)"):
        load_knowledge(kb_copy)


def test_file_name_must_match_scheme_id(kb_copy):
    (kb_copy / "schemes" / "prize_lottery.yaml").rename(kb_copy / "schemes" / "prizes.yaml")
    with pytest.raises(KnowledgeError, match="id 'prize_lottery' must match the file name 'prizes'"):
        load_knowledge(kb_copy)


# --- help.yaml and regions.yaml ----------------------------------------------------------

FAQ_IDS = {"report", "block_card", "stop_credit", "never_ask", "money_back", "check_offer"}
CITIES = ["astana", "almaty_city", "shymkent"]


def test_help_and_regions_load(knowledge):
    assert FAQ_IDS <= {entry.id for entry in knowledge.help.faq}
    assert 5 <= len(knowledge.help.already_paid.steps) <= 8
    shown = [*knowledge.help.already_paid.contacts, *(c for entry in knowledge.help.faq for c in entry.contacts)]
    assert all(knowledge.contacts[c].showable for c in shown)
    assert len(knowledge.regions) == 20
    assert sum(r.kind == "region" for r in knowledge.regions.values()) == 17
    assert list(knowledge.regions)[:3] == CITIES
    assert all(knowledge.regions[c].kind == "city" for c in CITIES)


def test_the_fingerprint_covers_help_and_regions(kb_copy):
    before = load_knowledge(kb_copy).fingerprint
    _edit(kb_copy / "help.yaml", "Смотря что случилось:", "Смотря, что случилось:")
    middle = load_knowledge(kb_copy).fingerprint
    _edit(kb_copy / "regions.yaml", "regions:\n", "# a comment changes the file, not the data\nregions:\n")
    after = load_knowledge(kb_copy).fingerprint
    assert len({before, middle, after}) == 3


def test_an_unverified_number_in_a_faq_answer_is_refused(kb_copy):
    _edit(kb_copy / "help.yaml", "Смотря что случилось:", "Смотря что случилось, звоните 9999:")
    with pytest.raises(KnowledgeError,
                       match=r"help\.yaml: faq\.0\.answer\.ru: the number 9999 .* is not a verified contact"):
        load_knowledge(kb_copy)


def test_an_unverified_number_in_an_urgent_step_is_refused(kb_copy):
    _edit(kb_copy / "help.yaml", "Сохраните доказательства:", "Позвоните в Kaspi 9999. Сохраните доказательства:")
    with pytest.raises(KnowledgeError, match=r"help\.yaml: already_paid\.steps\.4\.ru: the number 9999"):
        load_knowledge(kb_copy)


@pytest.mark.parametrize(("contact", "problem"), [
    ("kaspi_9999", "unknown contact 'kaspi_9999'"),
    ("ardfm_1459", "contact 'ardfm_1459' is likely, not verified"),
])
def test_a_faq_contact_must_exist_and_be_verified(kb_copy, contact, problem):
    _edit(kb_copy / "help.yaml", "contacts: [afm_pyramid_bot]", f"contacts: [afm_pyramid_bot, {contact}]")
    with pytest.raises(KnowledgeError, match=rf"help\.yaml: faq\.\d+\.contacts \(id check_offer\): {problem}"):
        load_knowledge(kb_copy)


def test_an_unknown_urgent_contact_is_refused(kb_copy):
    _edit(kb_copy / "help.yaml", "contacts: [bank_card_back, police_102, egov_stop_credit]",
          "contacts: [bank_card_back, police_102, kaspi_9999]")
    with pytest.raises(KnowledgeError, match=r"help\.yaml: already_paid\.contacts: unknown contact 'kaspi_9999'"):
        load_knowledge(kb_copy)


def test_a_too_long_button_is_refused(kb_copy):
    _edit(kb_copy / "help.yaml", 'ru: "📣 Куда пожаловаться"', 'ru: "📣 Куда пожаловаться, если обманули мошенники"')
    with pytest.raises(KnowledgeError, match=r"help\.yaml: faq\.0\.button: .*ru: \d+ characters, at most 32"):
        load_knowledge(kb_copy)


@pytest.mark.parametrize("markup", ["<b>102</b>", "**102**", "[сайт](https://egov.kz)"])
def test_markup_in_an_answer_is_refused(kb_copy, markup):
    _edit(kb_copy / "help.yaml", "Смотря что случилось:", f"Смотря что случилось {markup}:")
    with pytest.raises(KnowledgeError, match=r"help\.yaml: faq\.0\.answer: .*plain text only"):
        load_knowledge(kb_copy)


def test_duplicate_faq_ids_are_refused(kb_copy):
    _edit(kb_copy / "help.yaml", "id: hacked_account", "id: report")
    with pytest.raises(KnowledgeError, match=r"help\.yaml: faq: .*'report' is used twice"):
        load_knowledge(kb_copy)


def test_a_missing_region_is_refused(kb_copy):
    path = kb_copy / "regions.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if "id: jetisu," not in line), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"regions\.yaml: regions: .*missing: jetisu"):
        load_knowledge(kb_copy)


def test_a_city_marked_as_region_is_refused(kb_copy):
    _edit(kb_copy / "regions.yaml", "{id: shymkent,         kind: city,", "{id: shymkent,         kind: region,")
    with pytest.raises(KnowledgeError, match=r"regions\.yaml: regions: .*shymkent must be kind: city"):
        load_knowledge(kb_copy)


def test_a_missing_help_file_is_refused(kb_copy):
    (kb_copy / "help.yaml").unlink()
    with pytest.raises(KnowledgeError, match=r"help\.yaml: cannot read the file"):
        load_knowledge(kb_copy)
