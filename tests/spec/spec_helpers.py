"""Constants shared by the spec tests (imported by name: tests are not a package)."""

from __future__ import annotations

from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"

SEED_SECRETS = {
    "client_id": "cid-123",
    "client_secret": "csecret-456",
    "client_refresh_token": "rt-789",
    "refresh_token": "rt-abc",
    "api_key": "key-def",
    "private_key": "pk-ghi",
}
