"""Operator commands that replay streams: ``maillage dlq list|replay`` and ``maillage reindex``.

``dlq`` reads the DLQ stream (records made by :meth:`shared.bus.Bus.dead_letter`) by sequence
and republishes a record's payload to its original subject, with a new message id so the
stream's duplicate window does not drop it. ``reindex`` empties the search store and replays the
EVENTS stream from its start through the indexer's own ``consume`` (a batch is prepared while
the previous one is written), on an ephemeral pull consumer: the live indexer keeps running,
and writes are idempotent by version; then the directory of associations likewise from the
association records of RECORDS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from services.cli.opstools import Progress, connect, table
from shared.bus import end_if_cancelled, fetch_batch
from shared.errors import ConfigError
from shared.settings import Settings

#: Messages per commit of ``maillage reindex``: a commit rewrites the index pages its
#: documents touch, shared by many documents, so fewer and larger commits write less
#: (19,000 documents: 900 MB of WAL in batches of 256, 470 MB of 1,024; docs/scaling.md)
REINDEX_BATCH = 2048

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from services.indexer.projector import Projector
    from shared.bus import Bus


async def _dlq_records(bus: Bus, seqs: list[int] | None) -> list[tuple[int, dict[str, Any]]]:
    from nats.js.errors import NotFoundError

    info = await bus.js.stream_info("DLQ")
    wanted: Iterable[int] = seqs if seqs is not None else ()
    if seqs is None and info.state.messages:  # an empty DLQ may have first_seq 0
        wanted = range(info.state.first_seq, info.state.last_seq + 1)
    records = []
    for seq in wanted:
        if seq < 1:  # the server answers "bad request" for sequence 0
            raise ConfigError(f"no dead letter with sequence {seq}")
        try:
            msg = await bus.js.get_msg("DLQ", seq)
        except NotFoundError:
            if seqs is not None:
                raise ConfigError(f"no dead letter with sequence {seq}") from None
            continue
        records.append((seq, json.loads(msg.data or b"{}")))
    return records


async def dlq_list(args: argparse.Namespace, settings: Settings) -> int:
    bus = await connect(settings)
    try:
        records = await _dlq_records(bus, None)
    finally:
        await bus.close()
    shown = records[-args.limit:] if args.limit else records
    rows = [{"seq": seq, "subject": r.get("subject"), "stream_seq": r.get("seq"),
             "reason": r.get("reason")} for seq, r in shown]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(table(rows, ("seq", "subject", "stream_seq", "reason")))
        print(f"{len(records)} dead letter(s); 'maillage dlq replay SEQ' republishes one")
    return 0


async def dlq_replay(args: argparse.Namespace, settings: Settings) -> int:
    if not args.all and not args.seq:
        raise ConfigError("give the sequence numbers to replay, or --all")
    bus = await connect(settings)
    try:
        records = await _dlq_records(bus, None if args.all else list(args.seq))
        progress = Progress(len(records), "replaying")
        for seq, record in records:
            subject, data = record.get("subject"), record.get("data", "")
            if not subject:
                raise ConfigError(f"dead letter {seq} has no original subject")
            await bus.publish(subject, data.encode("utf-8"),
                              msg_id=f"replay.{record.get('stream')}.{record.get('seq')}.{seq}")
            if not args.keep:
                await bus.js.delete_msg("DLQ", seq)
            progress.advance()
        progress.finish()
    finally:
        await bus.close()
    kept = " (kept in the DLQ)" if args.keep else ""
    print(f"{len(records)} message(s) republished to their original subject{kept}")
    return 0


async def _replay(bus: Bus, projector: Projector[Any], progress: Progress,
                  batch_size: int) -> None:
    """Feed the whole of ``projector``'s stream to its ``consume`` (a batch is prepared while
    the previous one is written) through an ephemeral pull consumer (the live indexer keeps
    its own durable one)."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    subjects = projector.filter_subjects()
    if not subjects:
        return
    config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                            ack_wait=120, inactive_threshold=300, max_ack_pending=-1,
                            filter_subjects=subjects if len(subjects) > 1 else None)
    sub = await bus.js.pull_subscribe(subjects[0], stream=projector.stream, config=config)
    stats = projector.stats

    def advance() -> None:  # the batches written so far (the next one may be on its way)
        progress.advance(stats.applied + stats.stale + stats.dead - progress.done)

    async def batches() -> AsyncIterator[list[Msg]]:
        while True:
            end_if_cancelled()  # a cancellation nats-py's fetch swallowed (Python 3.11)
            try:
                msgs = await fetch_batch(sub, batch_size, 2)
            except TimeoutError:
                info = await sub.consumer_info()
                if info.num_pending == 0 and info.num_ack_pending == 0:
                    return
                continue
            yield msgs
            advance()

    await projector.consume(batches())
    advance()
    progress.finish()
    await sub.unsubscribe()


async def _messages(bus: Bus, stream: str, subjects: list[str]) -> int:
    """How many messages ``stream`` holds on ``subjects`` (wildcards)."""
    total = 0
    for subject in subjects:
        info = await bus.js.stream_info(stream, subjects_filter=subject)
        total += sum((info.state.subjects or {}).values())
    return total


async def reindex(args: argparse.Namespace, settings: Settings) -> int:
    from services.indexer.associations import AssociationContext
    from services.indexer.board_consumer import BoardIndexer
    from services.indexer.consumer import Indexer
    from services.indexer.records_consumer import RecordsIndexer
    from services.indexer.service import make_enricher, make_pool
    from shared.records import RECORDS_STREAM, Records
    from shared.store.factory import open_board_store, open_directory_store, open_store

    context = AssociationContext()
    enricher = make_enricher(settings, context)
    store = open_store(settings)
    directory = open_directory_store(settings)
    board_store = open_board_store(settings)
    bus = await connect(settings)
    pool = make_pool(settings, context)
    try:
        await context.reload(Records(bus.js), bus)  # the themes' prior, the links
        total = (await bus.js.stream_info("EVENTS")).state.messages
        await store.reset()
        indexer = Indexer(bus, store, enricher.enrich, batch_size=args.batch_size,
                          max_deliver=settings.max_deliver, retry_delay_s=settings.retry_delay,
                          pool=pool, enrich_many=enricher.enrich_many)
        records = RecordsIndexer(bus, directory, enricher.geocoder.geocode,
                                 batch_size=args.batch_size, max_deliver=settings.max_deliver,
                                 retry_delay_s=settings.retry_delay)
        records.context = context  # what the associations' events come by
        board = BoardIndexer(bus, board_store, enricher.geocoder.geocode,
                             batch_size=args.batch_size, max_deliver=settings.max_deliver,
                             retry_delay_s=settings.retry_delay)
        progress = Progress(total, "reindexing")
        try:
            await _replay(bus, indexer, progress, args.batch_size)
            record_total = (await bus.js.stream_info(RECORDS_STREAM)).state.messages
            await directory.reset()
            await _replay(bus, records, Progress(record_total, "associations"),
                          args.batch_size)
            await board_store.reset()
            if board.by_kind:
                board_total = await _messages(bus, RECORDS_STREAM, board.filter_subjects())
                await _replay(bus, board, Progress(board_total, "board"), args.batch_size)
        except asyncio.CancelledError:  # Ctrl-C: the store was emptied and is partly rebuilt
            print(f"\nreindex interrupted after {progress.done} of {total} messages: the "
                  "search store is incomplete until 'maillage reindex' runs again to the end",
                  file=sys.stderr)
            raise
        count = await store.count()
        associations = await directory.count()
        posted = await board_store.count()
    finally:
        if pool is not None:
            pool.close()
        await bus.close()
        await store.close()
        await directory.close()
        await board_store.close()
    s = indexer.stats
    print(f"reindexed: {s.applied} applied, {s.stale} superseded, {s.dead} dead-lettered; "
          f"{count} documents in the store ({store_location(settings)}); "
          f"{associations} associations in the directory, {posted} documents on the board")
    return 0


def store_location(settings: Settings) -> str:
    """Which store a command wrote, said in its report so that a wrong one shows."""
    from shared.store.factory import sqlite_path

    if settings.store == "sqlite":
        return sqlite_path(settings)
    return f"Elasticsearch {settings.es_index}"


def confirm_reindex(args: argparse.Namespace) -> bool:
    """Ask on a terminal unless --yes; a script without a terminal goes on."""
    if args.yes or not sys.stdin.isatty():
        return True
    answer = input("This empties the search store and rebuilds it from the events stream; "
                   "search results are incomplete meanwhile. Go on? [y/N] ")
    return answer.strip().lower() in ("y", "yes", "o", "oui")
