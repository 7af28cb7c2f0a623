"""Building a sentence-transformers model locally: a tokenizer trained on our own texts and
a randomly initialised BERT, saved as a normal sentence-transformers folder.

Model weights cannot be downloaded everywhere SaqBol is built, yet the neural path must be
tested and its cost measured. A model built here goes through exactly the loading and
encoding code a real one does; only its weights are random, so its similarities mean nothing
and it is never used to answer users.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_random_sentence_model(
    folder: Path,
    corpus: Iterable[str],
    *,
    layers: int,
    hidden: int,
    heads: int,
    intermediate: int,
    vocab_size: int,
    tokenizer_vocab: int = 8000,
    max_len: int = 512,
    seed: int = 0,
) -> Path:
    """Write a sentence-transformers model to ``folder`` and return it.

    ``vocab_size`` sets the embedding matrix (e5-small has 250k rows); the tokenizer itself is
    trained on ``corpus`` with at most ``tokenizer_vocab`` pieces, so its ids fit inside it.
    """
    folder = Path(folder)
    with tempfile.TemporaryDirectory() as scratch:
        _build(folder, Path(scratch), list(corpus), layers, hidden, heads, intermediate, vocab_size,
               tokenizer_vocab, max_len, seed)
    return folder


def _build(folder: Path, hf_dir: Path, corpus: list[str], layers: int, hidden: int, heads: int,
           intermediate: int, vocab_size: int, tokenizer_vocab: int, max_len: int, seed: int) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
    from tokenizers import models as tok_models
    from transformers import BertConfig, BertModel, BertTokenizerFast


    tokenizer = Tokenizer(tok_models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=min(tokenizer_vocab, vocab_size), special_tokens=SPECIALS,
                                       show_progress=False)
    tokenizer.train_from_iterator(corpus, trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    BertTokenizerFast(tokenizer_object=tokenizer, model_max_length=max_len, unk_token="[UNK]",
                      pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]").save_pretrained(hf_dir)

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=intermediate, max_position_embeddings=max_len)
    BertModel(config).save_pretrained(hf_dir)

    transformer = models.Transformer(str(hf_dir), max_seq_length=max_len)
    pooling = models.Pooling(hidden, pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(str(folder))


def build_e5_small_shaped(folder: Path, corpus: Iterable[str]) -> Path:
    """The shape of intfloat/multilingual-e5-small: 12 layers, hidden 384, 250k vocabulary."""
    return build_random_sentence_model(folder, corpus, layers=12, hidden=384, heads=12,
                                       intermediate=1536, vocab_size=250_037)
