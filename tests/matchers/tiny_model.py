"""A tiny sentence-transformers model with random weights, built and saved locally.

It exercises the embedding adapter's real code path (load from disk, encode,
cosine) without any download; its similarities mean nothing.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

WORDS = [
    "python",
    "sql",
    "git",
    "rest",
    "apis",
    "developer",
    "data",
    "analyst",
    "excel",
    "tableau",
    "dashboards",
    "statistics",
    "nurse",
    "patient",
    "care",
    "iv",
    "therapy",
    "bls",
    "certification",
    "forklift",
    "operation",
    "inventory",
    "shipping",
    "receiving",
    "power",
    "user",
    "registered",
    "build",
    "services",
    "analyse",
    "with",
    "and",
    "in",
    "the",
    "a",
    "of",
]


@functools.lru_cache(maxsize=1)
def tiny_model(root: Path | None = None) -> Path:
    """Build (once per process) and save the model; returns its directory."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = Path(root or tempfile.mkdtemp(prefix="biasaudit-tiny-model-"))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, ".", ",", ";", ":"]
    (root / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(root / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
    )
    hf = root / "hf"
    BertModel(config).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    try:  # sentence-transformers >= 6 moved the modules
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # pragma: no cover - older releases
        from sentence_transformers.models import Pooling, Transformer
    word = Transformer(str(hf), max_seq_length=64)
    size = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    pooling = Pooling(size(), "mean")
    model = SentenceTransformer(modules=[word, pooling], device="cpu")
    out = root / "tiny-st"
    model.save(str(out))
    return out
