import pytest

from venture.accounts import passwords


@pytest.fixture
def app_ctx(bare_app):
    return bare_app


@pytest.mark.parametrize("password", ["short", "123456789", "password123", "aaaaaaaaaaaaaa",
                                      "ababababababab", "5201314520131"[:9]])
def test_weak_passwords_are_refused(app_ctx, password: str) -> None:
    assert passwords.problems(password)


def test_common_password_refused_whatever_the_case(app_ctx) -> None:
    assert passwords.problems("PassWord123")


def test_password_with_own_email_or_name_is_refused(app_ctx) -> None:
    assert passwords.problems("zhangwei-2026!", email="zhangwei@example.org")
    assert passwords.problems("my Li Huimin pass", name="Li Huimin")


def test_good_passwords_pass(app_ctx) -> None:
    assert passwords.problems("correct horse battery") == []
    assert passwords.problems("社区花园每周三浇水啊", email="a@b.cn") == []


def test_too_long_refused(app_ctx) -> None:
    assert passwords.problems("x1y2z3" * 40)


def test_hash_is_argon2id_and_checks(app_ctx) -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert passwords.check_password(stored, "correct horse battery")
    assert not passwords.check_password(stored, "correct horse batterY")
    assert not passwords.check_password(None, "anything")
    assert not passwords.check_password("not-a-hash", "anything")
