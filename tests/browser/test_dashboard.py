"""The managers' dashboard in headless Chromium: no errors, every chart drawn, KPI tiles, not blank.

The page is the one the Dagster run in `dagster_ui` wrote (exports/dashboard/index.html, real demo data),
opened from disk as a manager would, with the network cut off to prove it works offline.
"""

import io

from pipelines.reports.dashboard import chart_ids


def _open(browser, path, artifacts, name):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    requests = []
    # everything must be inside the file: any request leaving it is recorded and refused
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
               else (requests.append(route.request.url), route.abort()))  # fmt: skip
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)  # the resize after load
    shot = page.screenshot(path=str(artifacts / name), full_page=True)
    return page, problems, requests, shot


def test_dashboard_renders_offline_without_errors(dagster_ui, browser, artifacts):
    from PIL import Image, ImageStat

    path = dagster_ui.settings.exports / "dashboard" / "index.html"
    assert path.is_file(), "the run did not write the dashboard"
    page, problems, requests, shot = _open(browser, path, artifacts, "dashboard.png")
    try:
        assert problems == [] and requests == []
        expected = chart_ids(path.read_text(encoding="utf-8"))
        assert len(expected) >= 9  # a 150-day demo may have no dead stock yet; everything else has data
        for chart in expected:
            svg = page.locator(f"#{chart} .main-svg").first
            box = svg.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 150, chart
            # plotly drew marks, not just axes: traces exist in the chart
            assert page.locator(f"#{chart} .trace, #{chart} .hm, #{chart} .heatmaplayer image").count() > 0, (
                chart
            )
        tiles = page.locator(".tile")
        assert tiles.count() == 5
        for i in range(5):
            value = tiles.nth(i).locator(".value").inner_text()
            assert value.strip() and value != "–"
        assert "Days of inventory (DIO)" in page.locator(".tiles").inner_text()
        assert page.locator("header .date").inner_text().startswith("Data as of 2025-06-")
    finally:
        page.close()
    image = Image.open(io.BytesIO(shot)).convert("L")
    assert image.height > 2000  # the full page, every section
    assert ImageStat.Stat(image).stddev[0] > 20  # not a blank page: charts, text and tiles


def test_no_data_dashboard_renders_cleanly(browser, artifacts, tmp_path):
    import duckdb

    from pipelines.reports.dashboard import write_dashboard

    with duckdb.connect(str(tmp_path / "empty.duckdb")) as conn:
        result = write_dashboard(conn, tmp_path / "index.html", "en")
    page, problems, requests, _ = _open(browser, result.path, artifacts, "dashboard-no-data.png")
    try:
        assert problems == [] and requests == []
        assert page.locator(".no-data").count() == len(result.no_data) > 5
        assert page.locator(".main-svg").count() == 0
        assert "No data yet" in page.locator("main").inner_text()
    finally:
        page.close()
