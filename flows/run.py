"""Run the nightly flow in this process and hand back its summary: shared by `salespipe run` and the demo."""

from __future__ import annotations


def run_flow(as_of: str | None) -> tuple[bool, dict]:
    """Run nightly_sync in this process (Prefect starts a temporary server when none is configured)."""
    from flows.nightly import nightly_sync

    state = nightly_sync(as_of_date=as_of, return_state=True)
    summary = state.result(raise_on_failure=False)
    if not isinstance(summary, dict):
        summary = None
    if summary is None:  # the flow crashed before it could report (a bug, not a source problem)
        summary = {"run_id": "?", "status": "failed", "problem": state.message or str(state)}
    return state.is_completed(), summary
