"""Each invalid configuration reports the exact YAML path, line and message (issue 3, acceptance 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from okr_sync.config.errors import ConfigurationError
from okr_sync.config.load import load_text
from okr_sync.config.plugins import installed

BASE = (Path(__file__).parent / "base.yaml").read_text()
INSTALLED = ", ".join(installed())
"""The tracker kinds of the installed connector plugins, as unknown-kind messages list them."""

# id, replace old, with new, expected key path, expected line, expected message
CASES = [
    ("unknown-schedule-key", "  interval: 5m", "  intervall: 5m", "schedule.intervall", 4,
     "unknown key 'intervall'; did you mean 'interval'?"),
    ("bad-duration", "  interval: 5m", "  interval: 5 minutes", "schedule.interval", 4,
     "'5 minutes' is not a duration; write it as 90s, 5m, 24h or 7d"),
    ("negative-duration", "  reconcile: 24h", "  reconcile: -3h", "schedule.reconcile", 5,
     "'-3h' is not a duration; write it as 90s, 5m, 24h or 7d"),
    ("state-url-mysql", "  url: sqlite:///okr-sync.db", "  url: mysql://db/okr", "state.url", 2,
     "unsupported state store 'mysql'; use sqlite:///okr-sync.db or postgresql+psycopg://user@host/db"),
    ("listen-without-port", "  listen: 127.0.0.1:8080", "  listen: localhost", "server.listen", 7,
     "'localhost' is not host:port; write it like 127.0.0.1:8080"),
    ("max-body-zero", "  listen: 127.0.0.1:8080", "  listen: 127.0.0.1:8080\n  max_body_bytes: 0",
     "server.max_body_bytes", 8, "Input should be greater than 0"),
    ("checkin-format", "  reconcile: 24h", "  reconcile: 24h\n  checkin: monday 9am", "schedule.checkin", 6,
     "'monday 9am' is not a weekday and time; write it like 'mon 09:00'"),
    ("unknown-timezone", "  reconcile: 24h", "  reconcile: 24h\n  timezone: Mars/Olympus", "schedule.timezone", 6,
     "unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Lisbon or America/Sao_Paulo"),
    ("tracker-kind-unknown", "    kind: jira", "    kind: jiraa", "trackers.jira.kind", 10,
     f"unknown kind 'jiraa'; did you mean 'jira'? installed tracker kinds: {INSTALLED} (a connector for "
     "another tracker is a package registering under the entry-point group okr_sync.connectors)"),
    ("tracker-kind-youtrack", "    kind: jira", "    kind: youtrack", "trackers.jira.kind", 10,
     f"unknown kind 'youtrack'; installed tracker kinds: {INSTALLED} (a connector for another tracker is a "
     "package registering under the entry-point group okr_sync.connectors)"),
    ("jira-url-missing", "    url: https://jira.example.gov\n", "", "trackers.jira.url", 9,
     "required key is missing"),
    ("duplicate-yaml-key", "    url: https://jira.example.gov", "    url: https://jira.example.gov\n    url: https://x",
     "trackers.jira.url", 12, "key given twice in the same mapping; keep one"),
    ("jira-deployment", "    url: https://jira.example.gov", "    url: https://jira.example.gov\n    deployment: dc",
     "trackers.jira.deployment", 12, "'dc' is not allowed here; use one of auto, cloud, server"),
    ("auth-kind-unknown", "      kind: token\n      token: jira", "      kind: oauth\n      token: jira",
     "trackers.jira.auth.kind", 13, "unknown 'kind' 'oauth'; expected one of 'token', 'basic'"),
    ("basic-auth-without-user", "      kind: token\n      token: jira", "      kind: basic\n      token: jira",
     "trackers.jira.auth.user", 12, "required key is missing"),
    ("label-without-kr", '      - label: "kr:{kr}"', '      - label: "kr:OBJ"', "trackers.jira.link.0.label", 18,
     "pattern 'kr:OBJ' has no {kr} placeholder; write where the KR id goes, e.g. 'kr:OBJ{kr}'"),
    ("link-key-typo", '      - label: "kr:{kr}"', '      - lable: "kr:{kr}"', "trackers.jira.link.0.lable", 18,
     "unknown key 'lable'; did you mean 'label'?"),
    ("link-rule-wrong-tracker", '      - bucket: "{kr}"', '      - field: "Key Result"',
     "trackers.planner.link.0.field", 43,
     "link rule 'field' does not exist for planner; use one of bucket, category, title_prefix"),
    ("link-rule-two-keys", '      - label: "kr::{kr}"', '      - {label: "kr::{kr}", title_prefix: "[{kr}]"}',
     "trackers.gitlab.link.0", 32, "a link rule needs exactly one of: label, field, children_of_home, issue_link, "
     "title_prefix, bucket, category (got 2)"),
    ("title-prefix-without-kr", '      - label: "kr::{kr}"', '      - title_prefix: "[KR]"',
     "trackers.gitlab.link.0.title_prefix", 32,
     "pattern '[KR]' has no {kr} placeholder; write where the KR id goes, e.g. '[KR]{kr}'"),
    ("write-field-typo", "        progress: OKR Progress", "        progres: OKR Progress",
     "trackers.jira.write.fields.progres", 21, "unknown key 'progres'; did you mean 'progress'?"),
    ("gitlab-scope-empty", "      projects: [transparency/portal]", "      projects: []", "trackers.gitlab.scope", 29,
     "name at least one project or group"),
    ("gitlab-timeout-negative", "    url: https://gitlab.example.gov",
     "    url: https://gitlab.example.gov\n    timeout: -1", "trackers.gitlab.timeout", 26,
     "Input should be greater than 0"),
    ("unset-variable", "      token: gitlab-secret-token-789", "      token: ${GITLAB_TOKEN_UNSET}",
     "trackers.gitlab.auth.token", 28,
     "environment variable GITLAB_TOKEN_UNSET is not set; export GITLAB_TOKEN_UNSET or write the value in the file"),
    ("planner-plans-empty", "      plans: [plan1]", "      plans: []", "trackers.planner.scope.plans", 41,
     "List should have at least 1 item after validation, not 0"),
    ("planner-tenant-missing", "    tenant_id: t\n", "", "trackers.planner.tenant_id", 33, "required key is missing"),
    ("planner-rounding", "      plans: [plan1]", "      plans: [plan1]\n    write: {percent_rounding: quarter}",
     "trackers.planner.write.percent_rounding", 42, "'quarter' is not allowed here; use one of none, planner"),
    ("cycle-end-before-start", "    end: 2026-12-31", "    end: 2026-09-30", "cycles.0.end", 47,
     "cycle 2026-Q4 ends (2026-09-30) before or on its start (2026-10-01); the end must come after the start"),
    ("cycle-bad-date", "    start: 2026-10-01", "    start: 2026-13-01", "cycles.0.start", 46,
     "'2026-13-01' is not a valid date (month must be in 1..12); write dates as YYYY-MM-DD"),
    ("duplicate-cycle", "cycles:\n  - id: 2026-Q4", "cycles:\n  - {id: 2026-Q4, start: 2026-01-01, end: 2026-03-31}\n"
     "  - id: 2026-Q4", "cycles.1.id", 46, "duplicate cycle id 2026-Q4 (first at cycles.0); ids must be unique"),
    ("unknown-cycle", "    cycle: 2026-Q4", "    cycle: 2026-Q3", "objectives.0.cycle", 50,
     "unknown cycle '2026-Q3'; did you mean '2026-Q4'?"),
    ("objective-without-why", "    why: Recovered debt funds schools.\n", "", "objectives.0.why", 49,
     "objective OBJ1 has no why; say why it matters to citizens (the impact), in one sentence"),
    ("objective-blank-why", "    why: Recovered debt funds schools.", '    why: "  "', "objectives.0.why", 52,
     "objective OBJ1 has no why; say why it matters to citizens (the impact), in one sentence"),
    ("objective-weight-zero", "    owner: maria", "    owner: maria\n    weight: 0", "objectives.0.weight", 54,
     "Input should be greater than 0"),
    ("unknown-parent", "    owner: maria", "    owner: maria\n    parents: [OBJ9]", "objectives.0.parents.0", 54,
     "unknown objective 'OBJ9'; did you mean 'OBJ1'?"),
    ("kr-without-owner", "        owner: joao\n", "", "objectives.0.key_results.0.owner", 56,
     "KR OBJ1-KR1 has no owner; every KR needs one accountable person (owner: <person>, or owners: "
     "[<person>, <person>] for co-owners)"),
    ("baseline-equals-target", "          target: 52", "          target: 40",
     "objectives.0.key_results.0.measure.target", 64, "target equals baseline (40); a KR must move the number"),
    ("stretch-wrong-side", "          target: 52", "          target: 52\n          stretch: 45",
     "objectives.0.key_results.0.measure.stretch", 65,
     "stretch 45 is not beyond the target 52 (seen from the baseline 40)"),
    ("measure-type-unknown", "          type: metric", "          type: ratio",
     "objectives.0.key_results.0.measure.type", 62, "unknown 'type' 'ratio'; expected one of 'metric', 'completion'"),
    ("baseline-not-number", "          baseline: 40", "          baseline: forty",
     "objectives.0.key_results.0.measure.baseline", 63,
     "Input should be a valid number, unable to parse string as a number"),
    ("kr-kind-unknown", "        kind: value\n        measure:\n", "        kind: outcome\n        measure:\n",
     "objectives.0.key_results.0.kind", 60, "'outcome' is not allowed here; use one of value, quality, deliverable"),
    ("home-unknown-tracker", "        home: {tracker: jira, key: PGE-2}", "        home: {tracker: jria, key: PGE-2}",
     "objectives.0.key_results.0.home.tracker", 65,
     "home on tracker 'jria', which is not configured under trackers; did you mean 'jira'?"),
    ("jira-home-without-key", "        home: {tracker: jira, key: PGE-2}", "        home: {tracker: jira}",
     "objectives.0.key_results.0.home", 65, "a jira home needs key (missing key)"),
    ("gitlab-home-without-iid", "project: transparency/portal, iid: 12}", "project: transparency/portal}",
     "objectives.0.key_results.1.home", 72, "a gitlab home needs project and iid (missing iid)"),
    ("home-key-on-gitlab", "project: transparency/portal, iid: 12}", "project: transparency/portal, iid: 12, key: X-1}",
     "objectives.0.key_results.1.home.key", 72, "'key' does not apply to a gitlab home; it takes project and iid"),
    ("duplicate-kr", "      - id: OBJ1-KR2", "      - id: OBJ1-KR1", "objectives.0.key_results.1.id", 66,
     "duplicate KR id OBJ1-KR1 (first defined at objectives.0.key_results.0); KR ids must be unique across all "
     "objectives"),
    ("completion-weight-unknown", "weight: points}", "weight: hours}", "objectives.0.key_results.1.measure.weight", 71,
     "'hours' is not allowed here; use one of count, points, estimate"),
    ("partial-credit-above-one", "weight: points}", "weight: points, partial_credit: 1.5}",
     "objectives.0.key_results.1.measure.partial_credit", 71, "Input should be less than or equal to 1"),
    ("kr-unknown-objective", "        owner: ana", "        owner: ana\n        objectives: [OBJ2]",
     "objectives.0.key_results.1.objectives.0", 69, "unknown objective 'OBJ2'; did you mean 'OBJ1'?"),
    ("confidence-above-ten", "        owner: ana", "        owner: ana\n        confidence: 11",
     "objectives.0.key_results.1.confidence", 69, "Input should be less than or equal to 10"),
    ("metric-source-unknown-tracker", "          target: 52",
     "          target: 52\n          source: {tracker: jiraa, sum_field: Amount}",
     "objectives.0.key_results.0.measure.source.tracker", 65, "unknown tracker 'jiraa'; did you mean 'jira'?"),
    ("metric-source-two-aggregations", "          target: 52",
     "          target: 52\n          source: {tracker: jira, sum_field: A, max_field: B}",
     "objectives.0.key_results.0.measure.source", 65,
     "a metric source needs exactly one of sum_field, max_field, last_field, count"),
    ("metric-source-bad-word", "          target: 52", "          target: 52\n          source: typed",
     "objectives.0.key_results.0.measure.source", 65, "'typed' is not allowed here; use one of manual"),
    ("discover-unknown-tracker", "home: {tracker: gitlab, project: transparency/portal, iid: 12}",
     "home: {tracker: gitlab, project: transparency/portal, iid: 12}\ndiscover:\n  - tracker: youtrack\n    jql: x",
     "discover.0.tracker", 74, "unknown tracker 'youtrack'; known: jira, gitlab, planner"),
    ("unknown-top-level-section", "cycles:", "cycle:", "cycle", 44, "unknown key 'cycle'; did you mean 'cycles'?"),
    # issue 19: what was typed and the form wanted, on the line where it was typed
    ("quoted-end-before-start", "    end: 2026-12-31", "    end: '2026-09-01'", "cycles.0.end", 47,
     "cycle 2026-Q4 ends (2026-09-01) before or on its start (2026-10-01); the end must come after the start"),
    ("kr-kind-vanity", "        kind: value\n        measure:\n", "        kind: vanity\n        measure:\n",
     "objectives.0.key_results.0.kind", 60, "'vanity' is not allowed here; use one of value, quality, deliverable"),
    ("baseline-decimal-comma", "          baseline: 40", "          baseline: 3,2",
     "objectives.0.key_results.0.measure.baseline", 63,
     "3,2 is not a YAML number; write 3.2 (numbers in okr-sync.yaml take a decimal point, whatever the locale)"),
    ("baseline-decimal-comma-in-braces", "weight: points}", "weight: points, partial_credit: 0,5}",
     "partial_credit", 71,
     "0,5 is not a YAML number; write 0.5 (numbers in okr-sync.yaml take a decimal point, whatever the locale)"),
    ("start-not-iso", "    start: 2026-10-01", "    start: 01/10/2026", "cycles.0.start", 46,
     "'01/10/2026' is not a date okr-sync reads; write YYYY-MM-DD, e.g. 2026-10-01 for 1 October 2026"),
    ("locale-not-a-tag", "cycles:", "locale: Brazilian Portuguese\ncycles:", "locale", 44,
     "locale 'Brazilian Portuguese' is not a language tag; write e.g. en, pt-BR or es"),
]


def _mutate(old: str, new: str) -> str:
    assert BASE.count(old) == 1, f"case anchor {old!r} must occur once in base.yaml"
    return BASE.replace(old, new)


def test_base_configuration_is_valid() -> None:
    loaded = load_text(BASE, file="base.yaml", environ={})
    assert [k.id for _, k in loaded.settings.key_results()] == ["OBJ1-KR1", "OBJ1-KR2"]


@pytest.mark.parametrize(("old", "new", "path", "line", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_configuration_reports_path_line_and_message(
    old: str, new: str, path: str, line: int, message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_text(_mutate(old, new), file="okr-sync.yaml", environ={})
    found = [(p.path, p.line, p.message) for p in caught.value.problems]
    assert (path, line, message) in found, found
    assert all(p.file == "okr-sync.yaml" for p in caught.value.problems)


def test_every_problem_is_reported_at_once() -> None:
    text = _mutate("    cycle: 2026-Q4", "    cycle: 2026-Q3")
    text = text.replace("  interval: 5m", "  interval: soon").replace("        owner: joao\n", "")
    with pytest.raises(ConfigurationError) as caught:
        load_text(text, environ={})
    assert {p.path for p in caught.value.problems} == {
        "schedule.interval", "objectives.0.cycle", "objectives.0.key_results.0.owner"}


def test_there_are_at_least_forty_cases_with_unique_ids() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_status_options_merge_over_the_defaults() -> None:
    text = BASE.replace("        progress: OKR Progress",
                        "        progress: OKR Progress\n      status_options: {at_risk: Watch}")
    options = load_text(text, environ={}).settings.trackers["jira"].write.status_options  # type: ignore[union-attr]
    assert options == {"not_started": "Not started", "on_track": "On track", "at_risk": "Watch",
                       "off_track": "Off track", "done": "Done"}
    with pytest.raises(ConfigurationError) as caught:
        load_text(text.replace("at_risk: Watch", "late: Watch"), environ={})
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("trackers.jira.write.status_options",
         "unknown status 'late'; statuses are not_started, on_track, at_risk, off_track, done")]
