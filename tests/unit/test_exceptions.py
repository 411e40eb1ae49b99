from __future__ import annotations

import benne.exceptions as ex


def test_every_error_descends_from_the_root_and_knows_its_codes() -> None:
    for name in ex.__all__:
        cls = getattr(ex, name)
        assert issubclass(cls, ex.BenneError)
        assert isinstance(cls.exit_code, int) and 100 <= cls.http_status <= 599
        assert cls.code


def test_user_errors_exit_2_and_drift_exits_3() -> None:
    assert ex.ValidationError("x").exit_code == 2
    assert ex.SourceFileError("x").exit_code == 2
    assert ex.DriftError("x").exit_code == 3
    assert ex.StoreError("x").exit_code == 1
    assert ex.ConsentRequiredError("x").to_dict()["error"] == "consent_required"
    assert ex.ConsentRequiredError("x").http_status == 403


def test_one_line_joins_what_where_fix_without_newlines() -> None:
    err = ex.ValidationError("amount must be >= 0; got -3.\nmore",
                             where="orders.csv, row 7, field amount", fix="correct the amount")
    line = err.one_line()
    assert "\n" not in line
    assert line == ("amount must be >= 0; got -3. more, orders.csv, row 7, field amount, "
                    "correct the amount")


def test_errors_are_also_the_matching_built_ins() -> None:
    import pytest

    with pytest.raises(ValueError):
        raise ex.InputError("bad")
    with pytest.raises(ValueError):
        raise ex.ConfigError("bad")
    with pytest.raises(LookupError):
        raise ex.NotFoundError("missing")
    with pytest.raises(AttributeError):
        raise ex.NotFittedError("call fit first")
    with pytest.raises(ValueError):
        raise ex.NotFittedError("call fit first")
    with pytest.raises(PermissionError):
        raise ex.ForbiddenError("no")
    with pytest.raises(RuntimeError):
        raise ex.StoreError("locked")
    err = ex.AuthError("no credentials", fix="send a token")
    assert str(err) == "no credentials" and err.one_line() == "no credentials, send a token"
