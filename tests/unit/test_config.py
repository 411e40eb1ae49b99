from __future__ import annotations

from pathlib import Path

import pytest

from benne.config import Settings, load_settings, write_config
from benne.exceptions import ConfigError


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.store == Path("benne.duckdb")
    assert s.database_url.startswith("sqlite:///")
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.config_path is None


def test_toml_paths_are_relative_to_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write_config(work, {"store": work / "s.duckdb", "database_url": "sqlite:///svc.sqlite",
                        "port": 9001, "model_dir": work / "models" / "m"})
    monkeypatch.chdir(work)
    s = load_settings()
    assert s.store == (work / "s.duckdb").resolve()
    assert s.database_url == f"sqlite:///{(work / 'svc.sqlite').resolve()}"
    assert s.port == 9001 and s.model_dir == (work / "models" / "m").resolve()
    # from elsewhere, via BENNE_CONFIG
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENNE_CONFIG", str(work / "benne.toml"))
    assert load_settings().store == (work / "s.duckdb").resolve()


def test_precedence_env_over_file_and_overrides_over_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, {"port": 9001, "host": "0.0.0.0"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENNE_PORT", "9002")
    s = load_settings()
    assert s.port == 9002 and s.host == "0.0.0.0"
    assert load_settings(port=9003).port == 9003


def test_bad_value_is_a_config_error_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENNE_PORT", "not-a-port")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "port" in exc.value.one_line() and exc.value.exit_code == 2


def test_broken_toml_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "benne.toml").write_text("port = = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "benne.toml" in exc.value.one_line()


def test_settings_reject_a_url_without_scheme() -> None:
    with pytest.raises(ValueError):
        Settings(database_url="service.sqlite")


def test_unknown_key_in_the_file_names_it_the_file_and_the_closest_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "benne.toml").write_text('stroe = "x.duckdb"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    line = exc.value.one_line()
    assert "'stroe'" in line and "did you mean 'store'" in line and "benne.toml" in line
    assert exc.value.exit_code == 2


def test_cli_exits_2_on_a_typo_in_benne_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from benne.cli import main

    (tmp_path / "benne.toml").write_text('stroe = "x"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--as-of", "2024-06-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "stroe" in err[0] and "store" in err[0]


def test_environment_is_read_by_exact_names_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("benne_port", "9100")  # not the variable's name
    monkeypatch.setenv("Benne_Port", "9101")
    monkeypatch.setenv("BENNE_PORT_8000_TCP_PORT", "8000")  # a service link's other variables
    monkeypatch.setenv("BENNE_SERVICE_HOST", "10.0.0.1")
    assert load_settings().port == 8000
    monkeypatch.setenv("BENNE_PORT", "9102")
    assert load_settings().port == 9102


def test_a_service_link_in_benne_port_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, {"port": 9001})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENNE_PORT", "tcp://10.0.0.1:8000")
    assert load_settings().port == 9001
    assert "BENNE_PORT" in capsys.readouterr().err


def test_a_bad_environment_value_names_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENNE_RATE_LIMIT_PER_MINUTE", "lots")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "BENNE_RATE_LIMIT_PER_MINUTE" in exc.value.one_line()


def test_a_bad_file_value_names_the_key_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "benne.toml").write_text('port = "eighty"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    line = exc.value.one_line()
    assert "'port'" in line and "benne.toml" in line


def test_spark_master_is_local_by_default_and_takes_a_cluster_or_connect_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().spark_master == "local[*]"
    monkeypatch.setenv("BENNE_SPARK_MASTER", "sc://spark.example:15002")
    assert load_settings().spark_master == "sc://spark.example:15002"
    (tmp_path / "benne.toml").write_text('spark_mastr = "local[2]"\n')
    with pytest.raises(ConfigError, match="spark_mastr") as typo:
        load_settings()
    assert "did you mean 'spark_master'" in (typo.value.fix or "")
    (tmp_path / "benne.toml").unlink()
    monkeypatch.setenv("BENNE_SPARK_MASTER", "local[two]")
    with pytest.raises(ConfigError, match="spark_master") as err:
        load_settings()
    assert err.value.where == "environment variable BENNE_SPARK_MASTER='local[two]'"
