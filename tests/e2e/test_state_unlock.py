"""`orchc state unlock` removes the lock of a run that is gone, never a live one's
unless `--force` says so (two applies at once would provision twice)."""

from __future__ import annotations

from e2e_helpers import Project, apply_holding_the_lock


def test_unlock_refuses_a_live_holder_unless_forced(project: Project) -> None:
    apply = apply_holding_the_lock(project)

    refused = project.run("state", "unlock", "--env", "dev", expect=1)
    assert f"held by apply by pid {apply.pid}" in refused.stderr
    assert "nothing was unlocked" in refused.stderr
    assert "`orchc state unlock --env dev --force`" in refused.stderr
    assert "Traceback" not in refused.stderr
    still = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "the state is locked" in still.stderr

    forced = project.run("state", "unlock", "--env", "dev", "--force")
    assert f"removed the lock held by apply by pid {apply.pid}" in forced.stderr
    (project.root / "release").touch()
    apply.communicate(timeout=300)
    assert apply.returncode == 0
