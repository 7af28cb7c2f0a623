"""Plain questions in people's own words, Kazakh and Russian side by side, with the FAQ entry
each must get: the conversation service's tests and the end-to-end ones ask the same."""

FAQ_QUESTIONS = [
    ("ru", "номер полиции какой", "police_number"),
    ("kk", "полицияның нөмірі қандай", "police_number"),
    ("kk", "kaida habarlasu kerek", "report"),
    ("ru", "куда обратиться", "report"),
    ("ru", "какой номер у каспи банка", "bank_number"),
    ("kk", "каспи банктің нөмірі қандай", "bank_number"),
    ("ru", "у меня взломали ватсап что делать", "hacked_account"),
    ("kk", "ватсабымды бұзып алды не істеймін", "hacked_account"),
]
