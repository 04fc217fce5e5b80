"""`dagster dev` (via `stockflow ui`) serves the asset graph; a run launched through its GraphQL API
succeeded (the `dagster_ui` fixture); asset pages show what each materialisation reported."""

import pytest


def _page(browser):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _wait_for(page, text, artifacts, name, timeout=60_000, exact=False):
    """Wait for `text` on the page; on a timeout keep a screenshot and say what the page showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.get_by_text(text, exact=exact).first.wait_for(timeout=timeout)
    except PlaywrightTimeout:
        page.screenshot(path=str(artifacts / f"{name}-FAILED.png"), full_page=True)
        raise AssertionError(
            f"{text!r} not shown at {page.url}; the page said:\n{page.locator('body').inner_text()[:2000]}"
        ) from None


def test_run_launched_through_graphql_materialised_the_marts_and_plan(dagster_ui):
    data = dagster_ui.graphql(
        """query($id: ID!) { runOrError(runId: $id) { ... on Run { status assetMaterializations { assetKey { path } } } } }""",
        {"id": dagster_ui.run_id},
    )["runOrError"]
    keys = {"/".join(m["assetKey"]["path"]) for m in data["assetMaterializations"]}
    assert data["status"] == "SUCCESS"
    assert {"marts/fct_kpi_monthly", "plans/replenishment_plan", "publish/dashboard"} <= keys


def test_asset_graph_page(dagster_ui, browser, artifacts):
    page, errors = _page(browser)
    try:
        page.goto(f"{dagster_ui.url}/asset-groups")
        _wait_for(page, "Global asset lineage", artifacts, "dagster-asset-graph")
        for group in ("ingest", "warehouse", "forecast", "plans", "publish"):
            _wait_for(page, group, artifacts, "dagster-asset-graph", exact=True)
        page.screenshot(path=str(artifacts / "dagster-asset-graph.png"))
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "plans/replenishment_plan",
            ["Row count", "Freshness policy", "lines_to_order", "order_value", "exceptions", "workbook"],
        ),
        ("publish/dashboard", ["Freshness policy", "path", "size_bytes", "data_date", "charts"]),
        # dbt marts: freshness, their dbt tests as checks, the documented columns
        ("marts/fct_kpi_monthly", ["Freshness policy", "Latest check results", "Columns", "month_start"]),
    ],
)
def test_asset_page_shows_materialisation_metadata(dagster_ui, browser, artifacts, key, expected):
    page, errors = _page(browser)
    try:
        page.goto(f"{dagster_ui.url}/assets/{key}")
        name = f"dagster-asset-{key.replace('/', '-')}"
        for label in expected:
            _wait_for(page, label, artifacts, name, exact=True)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        assert errors == []
    finally:
        page.close()
