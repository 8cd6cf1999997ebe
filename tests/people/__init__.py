"""Tests of issue 14: people and KR ownership across trackers."""
