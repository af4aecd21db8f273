"""The innovation picture per administrative branch (issue 8).

- ``facts.refresh_report_procedures(session, branches)``: derive one row per procedure (period,
  branch or group, best label, value); the processing step and every report call it.
- ``figures.build_report(session, branches, period, goal_percent=…)`` → ``Report`` (aggregated
  in SQL); ``figures.list_calls(...)`` → the procedures behind a figure.
- ``render.render_text / render_csv / render_html``; ``charts.report_charts`` (PNG bytes).
- ``monthly.queue_monthly_reports(session, config, now)``: the monthly branch email, through the
  outbox, once per contact and period.
"""
