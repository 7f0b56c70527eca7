"""What people do in the flow designer's browser tests: insert a step, select it, give it a role or a
name, wait for the draft to be saved; fill the what-if panel with a contract and simulate."""
from __future__ import annotations

from playwright.sync_api import Page, expect


def wait_saved(page: Page) -> None:
    expect(page.locator("#save-status")).to_have_text("All changes saved to the draft.")
    page.wait_for_function("() => !document.querySelector('#workspace .htmx-request, #workspace.htmx-request')")


def steps_in(page: Page, container: str) -> list[str]:
    return page.locator(f"#steps-{container} > li.ff-item").evaluate_all("els => els.map(e => e.dataset.step)")


def insert(page: Page, place: str, kind: str) -> None:
    """Press the "+" at `place` (`root-1`, `branch--else-0`) and choose a kind of step."""
    page.locator(f"#insert-{place}").click()
    expect(page.locator(f"#insert-{place}-approval")).to_be_focused()  # the menu opens on its first kind
    page.locator(f"#insert-{place}-{kind}").click()
    wait_saved(page)


def select(page: Page, step: str) -> None:
    """Select a step in the tree and wait for its panel."""
    page.locator(f"#select-{step}").click()
    expect(page.locator("#properties-title code")).to_have_text(step)


def role(page: Page, step: str, name: str) -> None:
    select(page, step)
    page.locator("#assignee-kind").select_option("role")
    page.locator("#assignee-role").select_option(name)
    wait_saved(page)


def rename(page: Page, step: str, english: str, chinese: str) -> None:
    """Type the selected step's names, as a person does (the panel saves as they type), and see the
    card take the English one."""
    select(page, step)
    page.locator("#step-title-zh_CN").fill(chinese)
    page.locator("#step-title-en").fill(english)
    wait_saved(page)
    expect(page.locator(f"#step-{step} .ff-title")).to_have_text(english)


def fill_contract(page: Page, amount: str, *, submitter: str = "wang.fang", foreign: bool = False,
                  risk: str = "low") -> None:
    """The what-if panel's sample: a purchase contract of `amount` filed by `submitter`."""
    page.locator("#whatif-submitter").select_option(submitter)
    form = page.locator("#whatif-form")
    form.get_by_label("Contract title").fill("Printers")
    form.get_by_label("Counterparty").fill("Acme")
    form.get_by_label("Contract type").select_option("purchase")
    form.get_by_label("Contract amount").fill(amount)
    form.get_by_label("Foreign-related contract").set_checked(foreign)
    form.get_by_label("Risk level").select_option(risk)
    form.get_by_label("Term from").fill("2026-01-01")
    form.get_by_label("Term until").fill("2026-12-31")
    form.get_by_label("Payment and settlement terms").fill("30 days after delivery")
    form.get_by_label("Main terms").fill("Ten printers with three years of service")


def simulated_path(page: Page) -> list[str]:
    return page.locator("#whatif-path > li").evaluate_all("els => els.map(e => e.dataset.step)")


def simulate(page: Page, expected: list[str]) -> None:
    page.locator("#simulate").click()
    expect(page.locator("#whatif-path > li")).to_have_count(len(expected))
    assert simulated_path(page) == expected
