"""okr-filetracker: work items and KR homes kept in one local JSON file (a third-party okr-sync connector)."""
