"""``GET /api/mortgage/applications[/{id}]`` on SQLite + fakeredis and PostgreSQL + Redis.

The app runs on a real runtime of each backend pair (one per module) through
``httpx.ASGITransport``; applications are written straight into the database.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import delete

from convonet.auth.tokens import issue_token
from convonet.domains.mortgage.calculator import affordability, payment_plan
from convonet.domains.mortgage.models import (
    ApplicationStatus,
    DocumentStatus,
    LoanType,
    MortgageApplication,
    MortgageDocument,
)
from convonet.runtime import Runtime, open_runtime
from convonet.server import create_app
from convonet.storage.users import create_user
from tests.fakes.backends import paired_backends

pytestmark = pytest.mark.asyncio(loop_scope="module")

PREFIXES = ("/api/mortgage", "/convonet_todo/api/mortgage")
# (status, created, loan amount, documents received of 3)
APPLICATIONS = {
    "old": (ApplicationStatus.APPROVED, datetime(2026, 1, 10, 12, tzinfo=UTC), "150000", 3),
    "mid": (ApplicationStatus.SUBMITTED, datetime(2026, 3, 5, 9, tzinfo=UTC), "320000", 1),
    "new": (ApplicationStatus.SUBMITTED, datetime(2026, 4, 20, 23, tzinfo=UTC), "610000", 0),
    "bare": (ApplicationStatus.DRAFT, datetime(2026, 4, 21, 8, tzinfo=UTC), None, 0),
}


async def _user(runtime: Runtime, email: str, roles: list[str]) -> tuple[str, str]:
    """A user's id and an access token for them."""
    async with runtime.db.session() as session:
        user = await create_user(
            session, pin_secret=runtime.settings.pin_hash_secret, email=email,
            name=email.split("@")[0].title(), roles=roles,
        )  # fmt: skip
    token = issue_token(
        runtime.settings, user_id=user.id, email=email, roles=roles, team_id=None, kind="access"
    )
    return user.id, token


async def _applications(runtime: Runtime, user_id: str) -> dict[str, str]:
    ids = {}
    async with runtime.db.session() as session:
        await session.execute(delete(MortgageApplication))  # the demo seed's
        for name, (status, created, amount, received) in APPLICATIONS.items():
            app = MortgageApplication(
                user_id=user_id, status=status, created_at=created, loan_type=LoanType.FHA,
                loan_amount=Decimal(amount) if amount else None,
                property_value=Decimal(amount) * 2 if amount else None,
                down_payment=Decimal(20_000) if amount else None,
                annual_income=Decimal(96_000), monthly_debts=Decimal(400), credit_score=700,
            )  # fmt: skip
            kinds = ("w2", "photo_id", "pay_stubs")  # checklist order: pay_stubs, w2, photo_id
            app.documents = [
                MortgageDocument(
                    doc_type=kind,
                    status=DocumentStatus.VERIFIED if i < received else DocumentStatus.MISSING,
                )
                for i, kind in enumerate(kinds)
            ]
            session.add(app)
            await session.flush()
            ids[name] = app.id
    return ids


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["embedded", "servers"])
async def mortgage_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], dict[str, str]]]:
    """(client with an agent's token, application ids by name, other roles' tokens)."""
    data_dir = tmp_path_factory.mktemp("mortgage")
    async with (
        paired_backends(request.param, data_dir, tools_enabled=False) as settings,
        open_runtime(settings) as runtime,
    ):
        app = create_app(runtime.settings)
        app.state.runtime = runtime
        borrower, _ = await _user(runtime, "borrower@mortgage.test", ["user"])
        _, agent = await _user(runtime, "agent@mortgage.test", ["agent"])
        _, plain = await _user(runtime, "plain@mortgage.test", ["user"])
        ids = await _applications(runtime, borrower)
        headers = {"Authorization": f"Bearer {agent}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=headers
        ) as http:
            yield http, ids, {"user": plain}


async def _names(http: httpx.AsyncClient, ids: dict[str, str], prefix: str, **params: str) -> list:  # type: ignore[type-arg]
    response = await http.get(f"{prefix}/applications", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    by_id = {v: k for k, v in ids.items()}
    names = [by_id[row["id"]] for row in body["items"] if row["id"] in by_id]
    assert body["total"] == len(names)
    return names


async def test_list_filters_by_status_dates_and_amount(mortgage_api) -> None:  # type: ignore[no-untyped-def]
    http, ids, _ = mortgage_api
    for prefix in PREFIXES:
        assert await _names(http, ids, prefix) == ["bare", "new", "mid", "old"]
    names = await _names(http, ids, PREFIXES[0], status="submitted")
    assert names == ["new", "mid"]
    # Inclusive whole days: the 23:00 application of 20 April is in "to 2026-04-20".
    dated = {"created_from": "2026-03-05", "created_to": "2026-04-20"}
    assert await _names(http, ids, PREFIXES[0], **dated) == ["new", "mid"]
    amounts = {"min_amount": "150000", "max_amount": "320000"}
    assert await _names(http, ids, PREFIXES[1], **amounts) == ["mid", "old"]
    both = {"status": "submitted", "min_amount": "400000"}
    assert await _names(http, ids, PREFIXES[0], **both) == ["new"]
    page = (await http.get("/api/mortgage/applications", params={"limit": 1, "offset": 1})).json()
    assert [row["id"] for row in page["items"]] == [ids["new"]] and page["total"] == 4

    row = next(r for r in page["items"])
    assert row["borrower"] == {
        "id": row["borrower"]["id"], "name": "Borrower", "email": "borrower@mortgage.test",
    }  # fmt: skip
    assert row["loan_amount"] == 610000.0 and row["loan_type"] == "fha"
    assert row["documents"] == {
        "required": 3, "received": 0, "verified": 0, "missing": 3, "percent": 0,
    }  # fmt: skip


BAD_FILTERS = [
    ({"status": "lost"}, "status"),
    ({"created_from": "yesterday"}, "created_from"),
    ({"created_from": "2026-05-01", "created_to": "2026-04-01"}, "created_from is after"),
    ({"min_amount": "500", "max_amount": "100"}, "min_amount is more than max_amount"),
    ({"min_amount": "-1"}, "min_amount"),
    ({"max_amount": "1e12"}, "max_amount"),
    ({"limit": "0"}, "limit"),
]


async def test_bad_filters_get_422_with_the_reason(mortgage_api) -> None:  # type: ignore[no-untyped-def]
    http, _, _ = mortgage_api
    for params, reason in BAD_FILTERS:
        response = await http.get("/api/mortgage/applications", params=params)
        assert response.status_code == 422, (params, response.text)
        assert reason in response.text, (params, response.text)


async def test_detail_has_figures_estimates_and_checklist(mortgage_api) -> None:  # type: ignore[no-untyped-def]
    http, ids, tokens = mortgage_api
    for prefix in PREFIXES:
        response = await http.get(f"{prefix}/applications/{ids['mid']}")
        assert response.status_code == 200, response.text
    app = response.json()
    assert app["status"] == "submitted"
    assert app["figures"] | {"loan_to_value": 50.0} == {
        "loan_amount": 320000.0, "property_value": 640000.0, "down_payment": 20000.0,
        "annual_income": 96000.0, "monthly_debts": 400.0, "credit_score": 700,
        "term_years": 30, "loan_to_value": 50.0,
    }  # fmt: skip
    estimates = app["estimates"]
    assert estimates["annual_rate"] == 6.5
    assert estimates["payment"] == payment_plan(Decimal(320000), Decimal(0), 6.5, 30)
    assert estimates["payment"]["monthly_payment"] == 2022.62
    expected = affordability(Decimal(96000), Decimal(400), Decimal(20000), 6.5, 30)
    assert estimates["affordability"] == expected
    assert [d["doc_type"] for d in app["checklist"]] == ["pay_stubs", "w2", "photo_id"]
    assert [d["received"] for d in app["checklist"]] == [False, True, False]
    assert app["documents"]["percent"] == 33

    bare = (await http.get(f"/api/mortgage/applications/{ids['bare']}")).json()
    assert bare["estimates"]["payment"] == {"missing": ["loan_amount"]}

    unknown = await http.get("/api/mortgage/applications/0123456789abcdef0123456789abcdef")
    assert unknown.status_code == 404 and "no mortgage application" in unknown.text
    garbage = await http.get("/convonet_todo/api/mortgage/applications/a%20b;drop")
    assert garbage.status_code == 422

    anonymous = await http.get("/api/mortgage/applications", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    user = {"Authorization": f"Bearer {tokens['user']}"}
    forbidden = await http.get(f"/api/mortgage/applications/{ids['mid']}", headers=user)
    assert forbidden.status_code == 403 and "agent" in forbidden.text
    page = await http.get("/mortgage_dashboard")
    assert page.status_code == 200 and "/static/js/mortgage_dashboard.js" in page.text
