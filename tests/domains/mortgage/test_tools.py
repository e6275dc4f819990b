"""Mortgage tools over MCP: amortization and 28/36 arithmetic, applications, isolation."""

import pytest
from sqlalchemy import update

from convonet.domains.mortgage.models import DocumentStatus, MortgageDocument
from tests.fakes.mcp_harness import ToolCallError, tool_harness

GROUPS = ["mortgage"]


async def test_payment_is_standard_amortization_rounded_to_cents(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        plan = await tools.call("calculate_mortgage_payment", {"loan_amount": 300_000}, user=ann)
        assert plan["monthly_payment"] == 1896.20
        assert plan["principal"] == 300_000
        assert plan["total_paid"] == 682_632.00  # 360 x 1896.20
        assert plan["total_interest"] == 382_632.00
        assert plan["number_of_payments"] == 360

        short = await tools.call(
            "calculate_mortgage_payment",
            {"loan_amount": 200_000, "annual_rate": 5, "term_years": 15},
            user=ann,
        )
        assert short["monthly_payment"] == 1581.59
        assert short["total_interest"] == pytest.approx(1581.59 * 180 - 200_000)

        free = await tools.call(
            "calculate_mortgage_payment",
            {"loan_amount": 120_000, "annual_rate": 0, "term_years": 10},
            user=ann,
        )
        assert free["monthly_payment"] == 1000.00 and free["total_interest"] == 0

        with_down = await tools.call(
            "calculate_mortgage_payment",
            {"loan_amount": 400_000, "down_payment": 100_000, "annual_rate": 6.5},
            user=ann,
        )
        assert with_down["principal"] == 300_000 and with_down["monthly_payment"] == 1896.20


async def test_affordability_follows_the_28_36_rule(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        # $10,000 a month: 28 % = 2800, 36 % - 500 = 3100, so housing (28 %) limits.
        rich = await tools.call(
            "estimate_affordability",
            {"annual_income": 120_000, "monthly_debts": 500, "down_payment": 50_000},
            user=ann,
        )
        assert rich["max_monthly_payment"] == 2800.00
        assert rich["max_loan"] == 442_990.29  # 2800 x (1 - 1.0054167^-360) / 0.0054167
        assert rich["max_home_price"] == 492_990.29
        assert rich["limited_by"].startswith("income")
        # Cross-check: the max loan's payment is the max payment.
        back = await tools.call(
            "calculate_mortgage_payment", {"loan_amount": rich["max_loan"]}, user=ann
        )
        assert back["monthly_payment"] == pytest.approx(2800, abs=0.01)

        # $5,000 a month: 28 % = 1400, 36 % - 1000 = 800, so debts (36 %) limit.
        indebted = await tools.call(
            "estimate_affordability", {"annual_income": 60_000, "monthly_debts": 1000}, user=ann
        )
        assert indebted["max_monthly_payment"] == 800.00
        assert indebted["max_loan"] == 126_568.65
        assert indebted["limited_by"].startswith("debts")

        zero_rate = await tools.call(
            "estimate_affordability",
            {"annual_income": 60_000, "monthly_debts": 1000, "annual_rate": 0},
            user=ann,
        )
        assert zero_rate["max_loan"] == 800 * 360

        broke = await tools.call(
            "estimate_affordability",
            {"annual_income": 30_000, "monthly_debts": 2000, "down_payment": 10_000},
            user=ann,
        )
        assert broke["max_monthly_payment"] == 0 and broke["max_loan"] == 0
        assert broke["max_home_price"] == 10_000


async def test_start_creates_the_checklist_and_tracks_receipt(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        started = await tools.call(
            "start_mortgage_application",
            {
                "property_value": 400_000,
                "down_payment": 80_000.5,
                "annual_income": 120_000,
                "loan_type": "va",
            },
            user=ann,
        )
        app = started["application"]
        assert app["status"] == "draft" and app["loan_type"] == "va"
        assert app["loan_amount"] == 319_999.5  # price - down, kept to the cent
        assert app["down_payment"] == 80_000.5 and app["term_years"] == 30
        names = [d["name"] for d in started["documents"]]
        assert any("DD-214" in n for n in names) and any("Eligibility" in n for n in names)
        assert not any(d["received"] for d in started["documents"])

        async with tools.resources.db.session() as session:
            await session.execute(
                update(MortgageDocument)
                .where(MortgageDocument.application_id == app["id"])
                .where(MortgageDocument.doc_type.in_(["pay_stubs", "photo_id"]))
                .values(status=DocumentStatus.UPLOADED)
            )
        got = await tools.call("get_mortgage_application", user=ann)
        assert got["application"]["id"] == app["id"]
        received = {d["doc_type"] for d in got["documents"] if d["received"]}
        assert received == {"pay_stubs", "photo_id"}
        listed = await tools.call("list_required_documents", user=ann)
        assert listed["application_id"] == app["id"]
        assert [d["received"] for d in listed["documents"]] == [
            d["received"] for d in got["documents"]
        ]


async def test_update_submit_and_default_to_the_latest(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        first = {"loan_amount": 320_000, "property_value": 400_000, "annual_income": 120_000}
        app = (await tools.call("start_mortgage_application", first, user=ann))["application"]
        assert app["loan_to_value"] == 80.0
        updated = await tools.call(
            "update_mortgage_application",
            {"credit_score": 720, "monthly_debts": 1500, "status": "submitted"},
            user=ann,
        )
        assert updated["application"]["credit_score"] == 720
        assert updated["application"]["monthly_debts"] == 1500
        assert updated["application"]["status"] == "submitted"
        assert "submitted_at" in updated["application"]

        newer = await tools.call("start_mortgage_application", {"loan_amount": 250_000}, user=ann)
        latest = await tools.call("get_mortgage_application", user=ann)
        assert latest["application"]["id"] == newer["application"]["id"]
        older = await tools.call(
            "get_mortgage_application", {"application_id": app["id"]}, user=ann
        )
        assert older["application"]["status"] == "submitted"
        assert older["application"]["monthly_debts"] == 1500


async def test_checklists_per_loan_type(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        plain = await tools.call("list_required_documents", user=ann)
        assert plain["loan_type"] == "conventional" and len(plain["documents"]) == 6
        assert {"pay_stubs", "w2", "tax_returns", "bank_statements", "photo_id"} <= {
            d["doc_type"] for d in plain["documents"]
        }
        va = await tools.call("list_required_documents", {"loan_type": "V.A."}, user=ann)
        assert {"dd214", "va_coe"} <= {d["doc_type"] for d in va["documents"]}
        fha = await tools.call("list_required_documents", {"loan_type": "FHA"}, user=ann)
        assert "ssn_proof" in {d["doc_type"] for d in fha["documents"]}
        jumbo = await tools.call("list_required_documents", {"loan_type": "jumbo"}, user=ann)
        assert "asset_statements" in {d["doc_type"] for d in jumbo["documents"]}
        assert not any(d["received"] for d in jumbo["documents"])


async def test_users_never_see_or_change_each_others_applications(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        bob = await tools.user("bob@example.com", "Bob")
        app = (await tools.call("start_mortgage_application", {"loan_amount": 300_000}, user=ann))[
            "application"
        ]
        with pytest.raises(ToolCallError, match="no mortgage application yet"):
            await tools.call("get_mortgage_application", user=bob)
        for name, args in [
            ("get_mortgage_application", {"application_id": app["id"]}),
            ("update_mortgage_application", {"application_id": app["id"], "loan_amount": 1}),
            ("update_mortgage_application", {"application_id": app["id"], "status": "withdrawn"}),
            ("list_required_documents", {"application_id": app["id"]}),
            ("get_mortgage_application", {"application_id": "x' OR '1'='1"}),
        ]:
            with pytest.raises(ToolCallError, match="no mortgage application with id"):
                await tools.call(name, args, user=bob)
        mine = (await tools.call("get_mortgage_application", user=ann))["application"]
        assert mine["loan_amount"] == 300_000 and mine["status"] == "draft"


async def test_bad_arguments_are_readable_tool_errors(tool_deps) -> None:  # type: ignore[no-untyped-def]
    async with tool_harness(*tool_deps, groups=GROUPS) as tools:
        ann = await tools.user("ann@example.com", "Ann")
        payment = "calculate_mortgage_payment"
        for args, message in [
            ({"loan_amount": 300_000, "term_years": 3}, "term in years must be between 5 and 40"),
            ({"loan_amount": 300_000, "term_years": 41}, "term in years"),
            ({"loan_amount": 300_000, "annual_rate": 30}, "interest rate in percent"),
            ({"loan_amount": 300_000, "annual_rate": -1}, "interest rate"),
            ({"loan_amount": -5}, "loan amount must be more than"),
            ({"loan_amount": 0.001}, "loan amount must be more than"),
            ({"loan_amount": 1e12}, "at most"),
            ({"loan_amount": 300_000, "down_payment": 300_000}, "nothing to finance"),
            ({"loan_amount": "lots"}, "loan_amount"),
        ]:
            with pytest.raises(ToolCallError, match=message):
                await tools.call(payment, args, user=ann)
        with pytest.raises(ToolCallError, match="annual income must be more than"):
            await tools.call("estimate_affordability", {"annual_income": 0}, user=ann)
        with pytest.raises(ToolCallError, match="not a loan type"):
            await tools.call("list_required_documents", {"loan_type": "balloon"}, user=ann)
        with pytest.raises(ToolCallError, match="loan_type"):
            await tools.call("start_mortgage_application", {"loan_type": "balloon"}, user=ann)
        with pytest.raises(ToolCallError, match="down payment must be less than"):
            await tools.call(
                "start_mortgage_application",
                {"property_value": 100_000, "down_payment": 150_000},
                user=ann,
            )

        await tools.call("start_mortgage_application", {"property_value": 500_000}, user=ann)
        update = "update_mortgage_application"
        for args, message in [
            ({}, "say what to change"),
            ({"credit_score": 900}, "credit score must be between 300 and 850"),
            ({"loan_amount": 600_000}, "can't be more than the property value"),
            ({"status": "approved"}, "only the lender"),
            ({"status": "pending forever"}, "not an application status"),
            ({"status": "submitted"}, "please give the loan amount, annual income"),
        ]:
            with pytest.raises(ToolCallError, match=message):
                await tools.call(update, args, user=ann)
        assert (await tools.call(update, {"status": "withdraw"}, user=ann))["application"][
            "status"
        ] == "withdrawn"
        with pytest.raises(ToolCallError, match="withdrawn and can no longer be changed"):
            await tools.call(update, {"loan_amount": 100_000}, user=ann)
