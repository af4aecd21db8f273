"""The background service: APScheduler jobs, leader election, config hot reload and health."""
