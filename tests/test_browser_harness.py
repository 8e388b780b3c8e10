"""The headless-Chromium harness (tests/browser.py) on tiny pages: it must see what it is
meant to catch, or the HTML report's browser check could never fail."""

import pytest
from browser import BrowserError, chromium_fixture, open_page  # noqa: F401 - chromium_fixture is the `chromium` fixture

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def page(tmp_path, body: str, name="page.html"):
    path = tmp_path / name
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>before</title></head><body>{body}</body></html>")
    return path


def test_a_clean_page_has_no_errors_and_requests_only_itself(chromium, tmp_path):
    path = page(tmp_path, "<h1>Hello</h1><script>document.title = 'after'</script>")
    with chromium.open_page(path) as result:
        assert result.errors == []
        assert result.requests == [path.resolve().as_uri()]
        assert result.remote_requests == []
        assert result.evaluate("document.title") == "after"
        assert result.evaluate("document.querySelector('h1').textContent") == "Hello"


def test_console_error_is_reported(chromium, tmp_path):
    with chromium.open_page(page(tmp_path, '<script>console.error("x")</script>')) as result:
        assert result.errors == ["console.error: x"]


def test_console_assert_is_reported(chromium, tmp_path):
    with chromium.open_page(page(tmp_path, '<script>console.assert(1 === 2, "one is not two")</script>')) as result:
        assert result.errors == ["console.assert: one is not two"]


def test_uncaught_exception_is_reported(chromium, tmp_path):
    with chromium.open_page(page(tmp_path, '<script>throw new Error("boom")</script>')) as result:
        assert len(result.errors) == 1
        assert result.errors[0].startswith("exception: Error: boom")


def test_exception_in_an_onload_handler_is_reported(chromium, tmp_path):
    body = "<script>window.addEventListener('load', () => { null.x })</script>"
    with chromium.open_page(page(tmp_path, body)) as result:
        assert len(result.errors) == 1 and "TypeError" in result.errors[0]


def test_without_javascript_scripts_do_not_run(chromium, tmp_path):
    path = page(tmp_path, "<p>text</p><script>document.title = 'after'; console.error('ran')</script>")
    with chromium.open_page(path, javascript=False) as result:
        assert result.errors == []
        # DevTools' own evaluate still works: that is how the tests look at a script-less page.
        assert result.evaluate("document.title") == "before"
        assert result.evaluate("document.querySelectorAll('p').length") == 1


def test_a_remote_image_is_recorded_and_not_fetched(chromium, tmp_path):
    path = page(tmp_path, '<img src="http://example.invalid/x.png" alt="">')
    for javascript in (True, False):
        with chromium.open_page(path, javascript=javascript) as result:
            assert result.remote_requests == ["http://example.invalid/x.png"]
            assert path.resolve().as_uri() in result.requests
            # The load fails at once (no host name resolves) and says so in the log.
            assert any("example.invalid" in e for e in result.errors)


def test_a_missing_file_is_an_error_not_a_page(chromium, tmp_path):
    with pytest.raises(BrowserError, match="ERR_FILE_NOT_FOUND"):
        chromium.open_page(tmp_path / "missing.html")


def test_evaluate_raises_when_the_expression_throws(chromium, tmp_path):
    with chromium.open_page(page(tmp_path, "")) as result:
        with pytest.raises(BrowserError, match="nope"):
            result.evaluate("(() => { throw new Error('nope') })()")
        assert result.errors == []  # DevTools' evaluate is not the page's error


def test_screenshot_is_a_png_of_the_whole_page(chromium, tmp_path):
    # Taller than the viewport: the screenshot covers the content, not only the 900 px.
    body = "<div style='height: 2000px; background: linear-gradient(red, blue)'>tall</div>"
    with chromium.open_page(page(tmp_path, body), width=400, height=300) as result:
        shot = result.screenshot(tmp_path / "shots" / "page.png")
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    # IHDR: width and height, big-endian, at bytes 16-24.
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 400 and height >= 2000


def test_open_page_alone_starts_and_stops_its_own_browser(chromium, tmp_path):
    # (Asking for `chromium` only to fail like the others when Chromium is missing.)
    result = open_page(page(tmp_path, "<script>console.error('solo')</script>"), timeout=20)
    try:
        assert result.errors == ["console.error: solo"]
        assert result.browser.running
    finally:
        result.close()
    assert not result.browser.running
