"""Delivery reports reach api in batches; a batch that fails is kept and sent later."""

from __future__ import annotations

import asyncio

from concierge.bot.notify.reports import ReportBuffer
from concierge.contracts.notify import DeliveryOutcome, DeliveryReport


def sent(notification_id: int) -> DeliveryReport:
    return DeliveryReport(id=notification_id, outcome=DeliveryOutcome.SENT)


class FlakyApi:
    """Stands in for the network: refuses the first ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[int]] = []

    async def __call__(self, reports: list[DeliveryReport]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("api away")
        self.batches.append([report.id for report in reports])


class TestReportBuffer:
    async def test_flushes_in_order(self) -> None:
        api = FlakyApi()
        buffer = ReportBuffer(api, interval_s=0.05)
        for n in range(1, 4):
            buffer.add(sent(n))
        assert await buffer.flush()
        assert api.batches == [[1, 2, 3]]
        assert len(buffer) == 0

    async def test_keeps_what_failed_and_sends_it_later(self) -> None:
        api = FlakyApi(failures=2)
        buffer = ReportBuffer(api, interval_s=0.01)
        buffer.add(sent(1))
        runner = asyncio.create_task(buffer.run())
        buffer.add(sent(2))
        for _ in range(100):
            if api.batches:
                break
            await asyncio.sleep(0.02)
        await buffer.close()
        await runner
        assert [n for batch in api.batches for n in batch] == [1, 2]

    async def test_close_sends_the_rest(self) -> None:
        api = FlakyApi()
        buffer = ReportBuffer(api, interval_s=60)
        runner = asyncio.create_task(buffer.run())
        buffer.add(sent(9))
        await buffer.close()
        await runner
        assert api.batches == [[9]]

    async def test_big_backlogs_go_in_batches_of_1000(self) -> None:
        api = FlakyApi()
        buffer = ReportBuffer(api, interval_s=60)
        for n in range(1, 2501):
            buffer.add(sent(n))
        await buffer.flush()
        assert [len(batch) for batch in api.batches] == [1000, 1000, 500]
