"""okr-sync's pure OKR core: data and a clock value in, data out (no I/O, no clock reads).

Everything public is re-exported here; import from ``mapping`` rather than its modules.
Progress, expected, gap, forecast and rates are fractions (0.42), never percentages.
"""

from mapping.checkin import compose_checkin, item_ref
from mapping.companion import RULES, kr_findings, objective_findings, unknown_kr_findings
from mapping.execution import planned_vs_executed, weeks_execution
from mapping.kr_status import kr_status, recent_weeks
from mapping.markers import Flavour, Marker, checkin_marker, parse_marker, status_marker, wrap_marker
from mapping.model import (
    CompletionMeasure,
    Cycle,
    HomeItem,
    KeyResult,
    KrKind,
    KrStatusValue,
    ManualValue,
    Measure,
    MetricMeasure,
    Objective,
    ProgressPoint,
    ScoreBand,
    StatusCategory,
    Thresholds,
    WorkItem,
    require_aware,
)
from mapping.pace import (
    cycle_end_utc,
    cycle_start_utc,
    elapsed_share,
    expected_progress,
    forecast,
    score_band,
    status_from_pace,
)
from mapping.progress import (
    ProgressResult,
    completion_progress,
    kr_progress,
    latest_change,
    metric_progress,
    metric_value,
)
from mapping.render import escape, render_checkin, render_status_block
from mapping.results import (
    CheckIn,
    Finding,
    ItemRef,
    KrStatus,
    ObjectiveStatus,
    Provenance,
    Severity,
    WeekExecution,
)
from mapping.rollup import objective_status
from mapping.weeks import (
    iso_week,
    next_week,
    parse_week,
    previous_week,
    week_bounds,
    week_end_utc,
    week_start_utc,
)

__all__ = [
    "RULES",
    "CheckIn",
    "CompletionMeasure",
    "Cycle",
    "Finding",
    "Flavour",
    "HomeItem",
    "ItemRef",
    "KeyResult",
    "KrKind",
    "KrStatus",
    "KrStatusValue",
    "ManualValue",
    "Marker",
    "Measure",
    "MetricMeasure",
    "Objective",
    "ObjectiveStatus",
    "ProgressPoint",
    "ProgressResult",
    "Provenance",
    "ScoreBand",
    "Severity",
    "StatusCategory",
    "Thresholds",
    "WeekExecution",
    "WorkItem",
    "checkin_marker",
    "completion_progress",
    "compose_checkin",
    "cycle_end_utc",
    "cycle_start_utc",
    "elapsed_share",
    "escape",
    "expected_progress",
    "forecast",
    "iso_week",
    "item_ref",
    "kr_findings",
    "kr_progress",
    "kr_status",
    "latest_change",
    "metric_progress",
    "metric_value",
    "next_week",
    "objective_findings",
    "objective_status",
    "parse_marker",
    "parse_week",
    "planned_vs_executed",
    "previous_week",
    "recent_weeks",
    "render_checkin",
    "render_status_block",
    "require_aware",
    "score_band",
    "status_from_pace",
    "status_marker",
    "unknown_kr_findings",
    "week_bounds",
    "week_end_utc",
    "week_start_utc",
    "weeks_execution",
    "wrap_marker",
]
