"""The run report: a short text for the terminal and Markdown for the Prefect artifact."""

from __future__ import annotations


def _sources(summary: dict) -> list[dict]:
    return summary.get("extract", {}).get("sources", [])


def _stream_rows(summary: dict) -> list[str]:
    rows = []
    for source in _sources(summary):
        for stream in source["streams"]:
            rows.append(
                f"| {source['source']}.{stream['stream']} | {stream['status']} | {stream['records_read']} "
                f"| {stream['records_landed']} | {stream['rejects']} | {stream['pages']} |"
            )
    return rows


def _timings(summary: dict) -> list[tuple[str, dict]]:
    stages = [
        ("extract", "extract", "timing"),
        ("land", "extract", "land_timing"),
        ("quality", "quality", "timing"),
        ("dbt", "dbt", "timing"),
        ("publish", "publish", "timing"),
    ]
    return [(label, summary[key][field]) for label, key, field in stages if field in summary.get(key, {})]


def render_markdown(summary: dict) -> str:
    lines = [f"# nightly_sync {summary['run_id']}: {summary.get('status', '?')}", ""]
    if summary.get("problem"):
        lines += [f"**Problem:** {summary['problem']}", ""]
    if summary.get("stale_sources"):
        lines += [f"**Stale sources:** {', '.join(summary['stale_sources'])}", ""]
    if summary.get("abandoned"):
        lines += [f"**Earlier runs that never finished:** {'; '.join(summary['abandoned'])}", ""]
    lines += [f"**{s['source']}:** {s['profile']}" for s in _sources(summary) if s.get("profile")]
    lines += ["", "| stream | status | read | landed | rejects | pages |", "|---|---|---|---|---|---|"]
    lines += _stream_rows(summary)
    quality = summary.get("quality")
    if quality:
        lines += ["", f"Quality: {quality['checks']} checks, {len(quality['errors'])} errors, "
                  f"{len(quality['warnings'])} warnings"]  # fmt: skip
        lines += [f"- {line}" for line in quality["errors"] + quality["warnings"]]
    if "publish" in summary:
        rows = ", ".join(f"{mart} {count}" for mart, count in summary["publish"]["rows"].items())
        lines += ["", f"Published {summary['publish']['serving_file']} ({rows} rows)"]
    lines += ["", "| stage | seconds | peak RSS MiB |", "|---|---|---|"]
    lines += [f"| {label} | {t['seconds']} | {t['peak_rss_mb']} |" for label, t in _timings(summary)]
    return "\n".join(lines)


def render_text(summary: dict) -> str:
    """A few lines for the terminal: what ran, what failed, where the marts are."""
    out = [f"run {summary['run_id']}: {summary.get('status')}"]
    out += [f"  earlier run {line} (now recorded)" for line in summary.get("abandoned", [])]
    for source in _sources(summary):
        if source.get("profile"):
            out.append(f"  {source['source']}: {source['profile']}")
        landed = sum(s["records_landed"] for s in source["streams"])
        read = sum(s["records_read"] for s in source["streams"])
        rejects = sum(s["rejects"] for s in source["streams"])
        out.append(f"  {source['source']}: read {read}, landed {landed} new versions, {rejects} rejects"
                   + ("" if source["ok"] else f" — FAILED: {source['error']}"))  # fmt: skip
    if "quality" in summary:
        q = summary["quality"]
        out.append(
            f"  quality: {q['checks']} checks, {len(q['errors'])} errors, {len(q['warnings'])} warnings"
        )
    if "dbt" in summary:
        out.append(f"  dbt build: {summary['dbt']['nodes']} nodes, success={summary['dbt']['success']}")
    timing = ", ".join(f"{label} {t['seconds']}s/{t['peak_rss_mb']}MiB" for label, t in _timings(summary))
    out.append(f"  stages: {timing}")
    if summary.get("problem"):
        out.append(f"  problem: {summary['problem']}")
    return "\n".join(out)
