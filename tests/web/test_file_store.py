"""Uploads in an S3-compatible object store (moto's server, in a thread on a
free port) behave as in the local folder, and move between the two."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from venture.proposals import storage

BUCKET = "venture-uploads"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield BUCKET
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def app_config(s3_endpoint: str) -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": s3_endpoint}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_files_are_written_to_and_read_from_the_object_store(app, bucket):
    with app.app_context():
        name = storage.store(b"%PDF-1.4 a plan")
        assert storage.read(name) == b"%PDF-1.4 a plan"
        assert isinstance(storage.current_store(), storage.S3Store)
        assert not Path(app.config["UPLOAD_FOLDER"]).exists()  # nothing on this server's disk
        with pytest.raises(OSError):
            storage.read("0" * 32)
        with pytest.raises(ValueError):
            storage.read("../secret")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_storage_copy_moves_every_file_between_the_stores(app, bucket):
    local = storage.LocalStore(app.config["UPLOAD_FOLDER"])
    local.write("ab" + "1" * 30, b"one")
    local.write("cd" + "2" * 30, b"two")
    result = app.test_cli_runner().invoke(args=["storage", "copy", "--from", "local", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "copied 2 files" in result.output
    with app.app_context():
        assert storage.read("ab" + "1" * 30) == b"one"
        assert sorted(storage.current_store().names()) == ["ab" + "1" * 30, "cd" + "2" * 30]


def test_the_local_folder_writes_atomically(tmp_path: Path):
    local = storage.LocalStore(tmp_path)
    local.write("ef" + "3" * 30, b"three")
    assert local.read("ef" + "3" * 30) == b"three"
    assert [p.name for p in tmp_path.rglob(".upload-*")] == []
    assert list(local.names()) == ["ef" + "3" * 30]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_upload_goes_to_the_object_store_and_only_its_group_downloads_it(app, bucket):
    from tests import hostile_files as hostile
    from tests.conftest import Client
    from tests.web.test_attachment_cleaning import client_for, editing, stored_attachments, upload  # noqa: F401

    setup = editing.__wrapped__(app)
    data = hostile.png_with_metadata()
    assert upload(setup["owner"], setup["proposal"], "现场.png", data).status_code == 302
    [(attachment, stored)] = stored_attachments(app)
    client = boto3.client("s3", endpoint_url=app.config["S3_ENDPOINT_URL"], region_name="us-east-1")
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [app.config["S3_PREFIX"] + attachment.stored_name]
    served = setup["owner"].get(f"/attachments/{attachment.id}")
    assert served.status_code == 200 and served.get_data() == stored
    stranger = Client(app, app.response_class, use_cookies=True)
    assert stranger.get(f"/attachments/{attachment.id}").status_code in (302, 403, 404)
