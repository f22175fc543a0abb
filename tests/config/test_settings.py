"""Settings: environment and TOML sources, and refusing default secrets outside demo mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.exceptions import InsecureSettingsError
from config.settings import Settings, prepare_secrets


@pytest.mark.parametrize("secret", [None, "changeme", "secret", "short-but-random"])
def test_weak_secret_is_refused_outside_demo(tmp_path: Path, secret: str | None) -> None:
    """A missing, placeholder or short secret stops the service with a one-line reason."""
    settings = Settings(data_dir=tmp_path, secret_key=secret, demo=False)
    with pytest.raises(InsecureSettingsError, match="ANXIN_SECRET_KEY"):
        prepare_secrets(settings)


def test_demo_makes_and_keeps_a_secret(tmp_path: Path) -> None:
    """In demo mode a random secret is generated once and reused on the next start."""
    first = prepare_secrets(Settings(data_dir=tmp_path, demo=True)).secret()
    second = prepare_secrets(Settings(data_dir=tmp_path, demo=True)).secret()
    assert first == second and len(first) >= 32


def test_environment_beats_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values come from the TOML file unless an ANXIN_ variable says otherwise."""
    config = tmp_path / "anxin.toml"
    config.write_text('http_port = 9100\nhttp_host = "0.0.0.0"\n')
    monkeypatch.setenv("ANXIN_CONFIG_FILE", str(config))
    monkeypatch.setenv("ANXIN_HTTP_PORT", "9200")
    settings = Settings()
    assert settings.http_port == 9200 and settings.http_host == "0.0.0.0"
    assert settings.resolved_database_url.endswith("var/anxin.db")


def test_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    """`anxin serve` outside demo mode with no secret exits 2 and names the setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env.update(ANXIN_DATA_DIR=str(tmp_path), ANXIN_HTTP_PORT="1")
    result = subprocess.run([sys.executable, "-m", "dashboard", "serve"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ANXIN_SECRET_KEY" in lines[0]


def test_serve_refuses_to_start_without_a_biometric_key(tmp_path: Path) -> None:
    """Outside demo mode a good secret key alone is not enough: exit 2 naming the setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
    env.update(ANXIN_DATA_DIR=str(tmp_path), ANXIN_HTTP_PORT="1", ANXIN_SECRET_KEY="k" * 40)
    result = subprocess.run([sys.executable, "-m", "dashboard", "serve"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ANXIN_BIOMETRIC_KEY" in lines[0]


def test_the_biometric_key_must_differ_from_the_secret_key(tmp_path: Path) -> None:
    """One value for both keys is refused: biometric data must not share the link key's root."""
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40, biometric_key="k" * 40)
    with pytest.raises(InsecureSettingsError, match="must differ"):
        prepare_secrets(settings)


def test_demo_makes_and_keeps_its_own_biometric_key(tmp_path: Path) -> None:
    """Demo mode generates a biometric key apart from the secret key and reuses it."""
    first = prepare_secrets(Settings(data_dir=tmp_path, demo=True))
    second = prepare_secrets(Settings(data_dir=tmp_path, demo=True))
    assert first.biometric_secret() == second.biometric_secret() != first.secret()
    assert (tmp_path / "demo-biometric-key").stat().st_mode & 0o777 == 0o600
