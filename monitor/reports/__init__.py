"""The innovation picture per administrative branch (issue 8).

- ``facts.refresh_report_procedures(session, branches)``: derive one row per procedure (period,
  branch or group, best label, declared or not, value); the processing step and every report
  call it.
- ``figures.build_report(session, branches, period, goal=service.innovation_goal, declared_rule=…)``
  → ``Report`` (aggregated in SQL; detected and declared figures, the goal in force per month,
  the trend and the yearly history); ``figures.list_calls(..., review=…)`` → the procedures
  behind a figure, or one of the two review lists. ``figures`` is the one place that knows which
  goal applies to which month (``goals.GoalHistory``).
- ``render.render_text / render_csv / render_html``; ``charts.report_charts`` (PNG bytes).
- ``monthly.queue_monthly_reports(session, config, now)``: the monthly branch email, through the
  outbox, once per contact and period.
"""
