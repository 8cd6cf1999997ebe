"""Doctor and setup on Jira Server/Data Center: user names, no option API (a warning, a by-hand step)."""

from __future__ import annotations

from pathlib import Path

from tests.admin.support import doctor_json, failures, invoke
from tests.sandbox.jira_support import start_sandbox

CONFIG = """
trackers:
  jira:
    kind: jira
    url: ${SANDBOX_JIRA_URL}
    auth: {kind: token, token: "${SANDBOX_JIRA_TOKEN}"}
    scope: {jql: project = OKR}
    write: {fields: {progress: OKR Progress, status: OKR Status, forecast: OKR Forecast}}
    webhook_secret: a-hook-secret
cycles: [{id: 2026-Q4, start: 2026-10-01, end: 2026-12-31}]
people:
  - {id: maria, name: Maria Souza, department: PGE, identities: {jira: maria}}
objectives:
  - id: OBJ1
    cycle: 2026-Q4
    title: Recover tax debt
    why: Recovered debt funds schools.
    owner: maria
    key_results:
      - id: OBJ1-KR1
        title: Recover 12 million
        owner: maria
        kind: value
        measure: {type: metric, baseline: 0, target: 12}
        home: {tracker: jira, key: OKR-1}
"""


def test_server_doctor_and_setup(tmp_path: Path) -> None:
    sb = start_sandbox("Server")
    try:
        config = tmp_path / "okr-sync.yaml"
        config.write_text(CONFIG, encoding="utf-8")
        code, checks = doctor_json(config, sb, "jira")
        by = {c["topic"]: c for c in checks}
        assert [c["topic"] for c in failures(checks)] == ["field OKR Forecast"]
        assert code == 3
        assert by["options of OKR Status"]["level"] == "warn"
        assert "no REST API listing select options" in by["options of OKR Status"]["detail"]
        assert by["people"]["detail"] == "1 identities found in Jira"
        assert by["webhook secret"]["level"] == "ok"
        assert by["KR home issues"]["detail"] == "1 found: OKR-1 (OBJ1-KR1)"
        code, output = invoke(["setup", "jira", "--apply", "--config", str(config)], sb)
        assert code == 0, output
        assert "done     jira: create field OKR Forecast — number custom field for write.fields.forecast" in output
        code, checks = doctor_json(config, sb, "jira")
        assert code == 0 and failures(checks) == []
    finally:
        sb.stop()
