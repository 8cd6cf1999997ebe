"""The Microsoft Planner connector (Microsoft Graph)."""
