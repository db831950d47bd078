"""A stand-in Elasticsearch 9 node on loopback, for the stores' unit tests.

No Elasticsearch server can run on these machines, so the Elasticsearch stores are tested
against this aiohttp server: it records every request the official client sends (method,
path, query parameters, headers, JSON or NDJSON body) so that tests can check the exact
bodies, and it answers the subset of the REST API the stores use the way Elasticsearch 9
documents it:

* content negotiation: ``compatible-with=9`` (or 8) in ``Accept``, else 400
  ``media_type_header_exception``; ``X-Elastic-Product: Elasticsearch`` on every answer;
* indices and aliases: create (``resource_already_exists_exception``), get with wildcards,
  delete by name only (``action.destructive_requires_name``), aliases and ``_aliases``,
  composable index templates (refused when they overlap another of the same priority);
* an index's shard can be made unavailable (:attr:`FakeElastic.unavailable`): mget answers
  an ``error`` per document in a 200, bulk a 503 per item, search and get a 503; an index
  can be closed (:attr:`FakeElastic.closed`): the same with ``index_closed_exception``, a 400;
* bulk: the request-level validation (an id over 512 bytes, a negative external version:
  a 400 for the whole request), per-item results otherwise;
* documents: per-document ``_seq_no``/``_primary_term``/``_version``, ``if_seq_no``,
  ``op_type=create``, external versioning (409 unless greater), ``require_alias``, writes to
  a missing index auto-create a plain index; get/mget are real time while searches only see
  what was refreshed (explicitly, or with ``refresh=true``), as with ``refresh_interval``
  between two refreshes;
* search: bool/term/terms/range/prefix/match/exists/ids/match_all/constant_score and the
  geo distance and bounding box filters, sort on fields, ``_score``, ``_geo_distance`` and
  the stores' one script, ``search_after`` and ``from``, ``_source`` filtering,
  terms, filters and filter (with sub-aggregations) aggregations, ``post_filter``,
  ``collapse``, points in time whose id changes on every search; msearch and count.

Tests can make a document fail with :meth:`FakeElastic.reject` (a per-item 400, as a mapping
error would be). Scores are simple (matched clauses and boosts, no BM25).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import math
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from shared.natsserver import free_port

COMPAT = re.compile(r"compatible-with=(\d+)")


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Doc:
    source: dict[str, Any]
    seq_no: int
    version: int


@dataclass
class Index:
    settings: dict[str, Any]
    mappings: dict[str, Any]
    docs: dict[str, Doc] = field(default_factory=dict)
    visible: dict[str, Doc] = field(default_factory=dict)  # as of the last refresh
    seq: int = -1
    auto_created: bool = False


class EsError(Exception):
    def __init__(self, status: int, type_: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.type, self.reason = status, type_, reason

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.type, "reason": self.reason,
                          "root_cause": [{"type": self.type, "reason": self.reason}]},
                "status": self.status}


class FakeElastic:
    def __init__(self, major: int = 9, refresh_every_s: float | None = None) -> None:
        self.major = major
        self.refresh_every_s = refresh_every_s  # index.refresh_interval (None: never)
        self._refresher: asyncio.Task[None] | None = None
        self.requests: list[Recorded] = []
        self.indices: dict[str, Index] = {}
        self.aliases: dict[str, dict[str, dict[str, Any]]] = {}  # alias -> index -> options
        self.templates: dict[str, dict[str, Any]] = {}  # composable index templates
        # a point in time: every search through it answers a new id; closing the newest one
        # frees it, closing an older one leaves it open (held until keep_alive runs out)
        self.pit_ids: dict[str, str] = {}  # every id handed out and not closed -> its PIT
        self.pits: dict[str, tuple[str, str]] = {}  # open PIT -> (index, newest id)
        self.rejecters: list[Callable[[str, str, dict[str, Any]], str | None]] = []
        self.before: list[Callable[[Recorded], Any]] = []  # hooks run before answering
        self.max_window = 10_000  # index.max_result_window
        self.unavailable: set[str] = set()  # concrete indices whose only shard is down
        self.closed: set[str] = set()  # closed indices (POST /<index>/_close)
        self._pit_n = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- set up --------------------------------------------------------------------------

    async def start(self) -> FakeElastic:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        if self.refresh_every_s is not None:
            self._refresher = asyncio.create_task(self._refresh_loop(self.refresh_every_s))
        return self

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _refresh_loop(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            for name in list(self.indices):
                self._refresh(name)

    def reject(self, predicate: Callable[[str, str, dict[str, Any]], str | None]) -> None:
        """``predicate(index alias or name, id, source)`` returns a reason to refuse a
        document written by bulk (a per-item 400), or None."""
        self.rejecters.append(predicate)

    def calls(self, path_part: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if path_part in r.path
                and (method is None or r.method == method)]

    def source(self, target: str, doc_id: str) -> dict[str, Any] | None:
        name = self.resolve(target)[0]
        doc = self.indices[name].docs.get(doc_id)
        return doc.source if doc else None

    def all_docs(self, target: str) -> dict[str, dict[str, Any]]:
        return {k: d.source for k, d in self.indices[self.resolve(target)[0]].docs.items()}

    # -- names ---------------------------------------------------------------------------

    def resolve(self, target: str, *, wildcards: bool = True, missing_ok: bool = False
                ) -> list[str]:
        out: list[str] = []
        for part in target.split(","):
            if "*" in part:
                if wildcards:
                    out += sorted(n for n in self.indices if fnmatch.fnmatchcase(n, part))
                continue
            if part in self.indices:
                out.append(part)
            elif part in self.aliases:
                out += sorted(self.aliases[part])
            elif not missing_ok:
                raise EsError(404, "index_not_found_exception", f"no such index [{part}]")
        return list(dict.fromkeys(out))

    def write_index(self, target: str, require_alias: bool) -> str:
        if target in self.aliases:
            members = self.aliases[target]
            writers = [i for i, o in members.items() if o.get("is_write_index")]
            if len(members) == 1:
                return next(iter(members))
            if len(writers) == 1:
                return writers[0]
            raise EsError(400, "illegal_argument_exception",
                          f"no write index is defined for alias [{target}]")
        if require_alias:
            raise EsError(404, "index_not_found_exception",
                          f"no such index [{target}] and [require_alias] request flag is [true]"
                          f" and [{target}] is not an alias")
        if target not in self.indices:  # auto-create: a template's mappings, else dynamic
            template = self._templated(target)
            self.indices[target] = Index(template.get("settings") or {},
                                         template.get("mappings") or {"dynamic": True},
                                         auto_created=True)
        return target

    # -- HTTP ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        ctype = request.headers.get("Content-Type", "")
        body: Any = None
        if raw:
            if "ndjson" in ctype:
                body = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
            else:
                body = json.loads(raw)
        rec = Recorded(request.method, request.path, dict(request.query),
                       dict(request.headers), body)
        self.requests.append(rec)
        headers = {"X-Elastic-Product": "Elasticsearch"}
        for value in (request.headers.get("Accept", ""), ctype):
            found = COMPAT.search(value)
            if found and int(found.group(1)) not in (self.major, self.major - 1):
                err = EsError(400, "media_type_header_exception",
                              f"Invalid media-type value on headers [Accept, Content-Type]: "
                              f"compatible-with={found.group(1)}")
                return web.json_response(err.body(), status=400, headers=headers)
        try:
            for hook in self.before:
                hook(rec)
            status, answer = self._route(rec)
        except EsError as err:
            return web.json_response(err.body(), status=err.status, headers=headers)
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers)
        return web.json_response(answer, status=status, headers=headers,
                                 content_type="application/vnd.elasticsearch+json")

    def _route(self, r: Recorded) -> tuple[int, Any]:
        parts = [p for p in r.path.split("/") if p]
        m = r.method
        if parts[:1] == ["_alias"] and len(parts) == 2:
            names = parts[1].split(",")
            found = {a: ix for a, ix in self.aliases.items() if a in names}
            if m == "HEAD":
                return (200 if found else 404), None
            if not found:
                raise EsError(404, "aliases_not_found_exception", f"aliases {names} missing")
            out: dict[str, Any] = {}
            for alias, members in found.items():
                for index, opts in members.items():
                    out.setdefault(index, {"aliases": {}})["aliases"][alias] = opts
            return 200, out
        if parts[:1] == ["_index_template"] and len(parts) == 2:
            return self._template(m, parts[1], r.body)
        if parts == ["_aliases"]:
            return self._update_aliases(r.body["actions"])
        if parts == ["_bulk"]:
            return self._bulk(r.body, r.params)
        if parts == ["_msearch"] or (len(parts) == 2 and parts[1] == "_msearch"):
            default = parts[0] if len(parts) == 2 else None
            return self._msearch(r.body, default)
        if parts == ["_pit"] and m == "DELETE":
            pit = self.pit_ids.pop(r.body["id"], None)
            if pit is None or pit not in self.pits:
                raise EsError(404, "search_context_missing_exception", "no such pit")
            if self.pits[pit][1] != r.body["id"]:
                return 200, {"succeeded": True, "num_freed": 0}
            del self.pits[pit]
            return 200, {"succeeded": True, "num_freed": 1}
        if parts == ["_search"]:
            return 200, self._search(None, r.body or {}, r.params)
        if len(parts) == 1:
            return self._index_api(m, parts[0], r)
        target, op = parts[0], parts[1]
        if op == "_doc":
            return self._doc_api(m, target, parts[2], r)
        if op == "_mget":
            return 200, self._mget(target, r.body["ids"], r.params)
        if op == "_refresh":
            for name in self.resolve(target):
                self._refresh(name)
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if op == "_search":
            return 200, self._search(target, r.body or {}, r.params)
        if op == "_count":
            names = self.resolve(target)
            query = (r.body or {}).get("query", {"match_all": {}})
            n = sum(1 for name in names for d in self.indices[name].visible.values()
                    if self._score(name, query, d.source) is not None)
            return 200, {"count": n}
        if op == "_pit":
            self.resolve(target)
            return 200, {"id": self._new_pit(target)}
        raise EsError(400, "unsupported", f"fake: {m} {r.path}")

    # -- indices -------------------------------------------------------------------------

    def _index_api(self, m: str, target: str, r: Recorded) -> tuple[int, Any]:
        if m == "HEAD":  # indices.exists
            return (200 if self.resolve(target, missing_ok=True) else 404), None
        if m == "PUT":
            if target in self.indices:
                raise EsError(400, "resource_already_exists_exception",
                              f"index [{target}/x] already exists")
            body = r.body or {}
            for alias in body.get("aliases") or {}:
                if alias in self.indices:
                    raise EsError(400, "invalid_alias_name_exception",
                                  f"Invalid alias name [{alias}]: an index or data stream"
                                  " exists with the same name as the alias")
            template = self._templated(target)
            self.indices[target] = Index(body.get("settings") or template.get("settings") or {},
                                         body.get("mappings") or template.get("mappings") or {})
            for alias, opts in (body.get("aliases") or {}).items():
                self.aliases.setdefault(alias, {})[target] = dict(opts)
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": target}
        if m == "DELETE":
            if "*" in target or target == "_all":
                raise EsError(400, "illegal_argument_exception",
                              "Wildcard expressions or all indices are not allowed")
            ignore = r.params.get("ignore_unavailable") == "true"
            for name in target.split(","):
                if name in self.aliases:
                    raise EsError(400, "illegal_argument_exception",
                                  f"The provided expression [{name}] matches an alias, specify"
                                  " the corresponding concrete indices instead.")
                if name not in self.indices:
                    if ignore:
                        continue
                    raise EsError(404, "index_not_found_exception", f"no such index [{name}]")
                del self.indices[name]
                for members in self.aliases.values():
                    members.pop(name, None)
            self.aliases = {a: ix for a, ix in self.aliases.items() if ix}
            return 200, {"acknowledged": True}
        if m == "GET":
            names = self.resolve(target, missing_ok=r.params.get("ignore_unavailable") == "true")
            out = {}
            for name in names:
                aliases = {a: o for a, ix in self.aliases.items() for i, o in ix.items()
                           if i == name}
                out[name] = {"aliases": aliases}
            return 200, out
        raise EsError(400, "unsupported", f"fake: {m} {r.path}")

    def _template(self, m: str, name: str, body: Any) -> tuple[int, Any]:
        if m == "DELETE":
            if self.templates.pop(name, None) is None:
                raise EsError(404, "resource_not_found_exception",
                              f"index_template matching [{name}] not found")
            return 200, {"acknowledged": True}
        for other, spec in self.templates.items():
            if other != name and spec.get("priority", 0) == body.get("priority", 0) and any(
                    _overlap(a, b) for a in spec["index_patterns"]
                    for b in body["index_patterns"]):
                raise EsError(400, "illegal_argument_exception",
                              f"index template [{name}] has index patterns "
                              f"{body['index_patterns']} matching patterns from existing "
                              f"templates [{other}] with patterns ({other} => "
                              f"{spec['index_patterns']}) that have the same priority "
                              f"[{spec.get('priority', 0)}], multiple index templates may not "
                              "match during index creation, please use a different priority")
        self.templates[name] = body
        return 200, {"acknowledged": True}

    def _templated(self, name: str) -> dict[str, Any]:
        """The template an index named ``name`` gets (the highest priority matching)."""
        found = [t for t in self.templates.values()
                 if any(fnmatch.fnmatchcase(name, p) for p in t["index_patterns"])]
        if not found:
            return {}
        best: dict[str, Any] = max(found, key=lambda t: t.get("priority", 0))["template"]
        return best

    def _update_aliases(self, actions: list[dict[str, Any]]) -> tuple[int, Any]:
        aliases = {a: dict(ix) for a, ix in self.aliases.items()}
        for action in actions:
            (kind, spec), = action.items()
            if kind == "add":
                opts = {k: v for k, v in spec.items() if k not in ("index", "alias")}
                aliases.setdefault(spec["alias"], {})[spec["index"]] = opts
            elif kind == "remove":
                aliases.get(spec["alias"], {}).pop(spec["index"], None)
        self.aliases = {a: ix for a, ix in aliases.items() if ix}
        return 200, {"acknowledged": True}

    def _available(self, name: str) -> None:
        if name in self.closed:
            raise EsError(400, "index_closed_exception", "closed")
        if name in self.unavailable:
            raise EsError(503, "no_shard_available_action_exception",
                          f"[{name}][0] no shard available")

    def _refresh(self, name: str) -> None:
        index = self.indices[name]
        index.visible = dict(index.docs)

    # -- documents -----------------------------------------------------------------------

    def _doc_api(self, m: str, target: str, doc_id: str, r: Recorded) -> tuple[int, Any]:
        if m == "GET":
            name = self.resolve(target)[0]
            self._available(name)
            doc = self.indices[name].docs.get(doc_id)
            if doc is None:
                return 404, {"_index": name, "_id": doc_id, "found": False}
            return 200, {"_index": name, "_id": doc_id, "_version": doc.version,
                         "_seq_no": doc.seq_no, "_primary_term": 1, "found": True,
                         "_source": doc.source}
        p = r.params
        meta = {"_index": target, "_id": doc_id}
        for key in ("if_seq_no", "if_primary_term", "version"):
            if key in p:
                meta[key] = int(p[key])
        for key in ("version_type", "op_type"):
            if key in p:
                meta[key] = p[key]
        if p.get("require_alias") == "true":
            meta["require_alias"] = True
        kind = "delete" if m == "DELETE" else ("create" if p.get("op_type") == "create"
                                               else "index")
        result = self._write(kind, meta, r.body)
        if p.get("refresh") in ("true", "") and result["_index"] in self.indices:
            self._refresh(result["_index"])
        status = result["status"]
        if status == 404 and "error" not in result:
            return 404, result
        if status >= 300:
            raise EsError(status, result["error"]["type"], result["error"]["reason"])
        return status, result

    def _mget(self, target: str, ids: list[str], params: dict[str, str]) -> dict[str, Any]:
        # a document that cannot be read (missing index, unavailable shard) is an ``error``
        # in its place, in a 200 (TransportMultiGetAction's per-item failures)
        try:
            name = self.resolve(target)[0]
            self._available(name)
        except EsError as err:
            return {"docs": [{"_index": target, "_id": doc_id, "error": err.body()["error"]}
                             for doc_id in ids]}
        docs = []
        for doc_id in ids:
            doc = self.indices[name].docs.get(doc_id)
            if doc is None:
                docs.append({"_index": name, "_id": doc_id, "found": False})
            else:
                docs.append({"_index": name, "_id": doc_id, "_version": doc.version,
                             "_seq_no": doc.seq_no, "_primary_term": 1, "found": True,
                             "_source": _filter_source(doc.source, params)})
        return {"docs": docs}

    def _bulk(self, lines: list[dict[str, Any]], params: dict[str, str]) -> tuple[int, Any]:
        _validate_bulk(lines)
        items = []
        i = 0
        touched: set[str] = set()
        while i < len(lines):
            (kind, meta), = lines[i].items()
            body = None
            if kind != "delete":
                body = lines[i + 1]
                i += 2
            else:
                i += 1
            result = self._write(kind, meta, body)
            touched.add(result["_index"])
            items.append({kind: result})
        if params.get("refresh") in ("true", ""):
            for name in touched & set(self.indices):
                self._refresh(name)
        errors = any(next(iter(it.values()))["status"] >= 300 for it in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    def _write(self, kind: str, meta: dict[str, Any], body: Any) -> dict[str, Any]:
        target, doc_id = meta["_index"], str(meta["_id"])
        try:
            if kind == "delete" and target not in self.aliases:
                name = self.resolve(target)[0]
            else:  # every write through an alias goes to its write index, deletes too
                name = self.write_index(target, bool(meta.get("require_alias")))
        except EsError as err:
            return {"_index": target, "_id": doc_id, "status": err.status,
                    "error": {"type": err.type, "reason": err.reason}}
        if name in self.closed:  # BulkOperation.addFailureIfIndexIsClosed
            return {"_index": name, "_id": doc_id, "status": 400,
                    "error": {"type": "index_closed_exception", "reason": "closed"}}
        if name in self.unavailable:
            return {"_index": name, "_id": doc_id, "status": 503,
                    "error": {"type": "unavailable_shards_exception",
                              "reason": f"[{name}][0] primary shard is not active"}}
        index = self.indices[name]
        current = index.docs.get(doc_id)
        out: dict[str, Any] = {"_index": name, "_id": doc_id}

        def fail(status: int, type_: str, reason: str) -> dict[str, Any]:
            return {**out, "status": status, "error": {"type": type_, "reason": reason}}

        if kind in ("index", "create") and doc_id == "":
            return fail(400, "illegal_argument_exception",
                        "if _id is specified it must not be empty")
        if kind in ("index", "create") and body is not None:
            for rejecter in self.rejecters:
                reason = rejecter(target, doc_id, body)
                if reason:
                    return fail(400, "document_parsing_exception", reason)
        if "if_seq_no" in meta and (current is None or current.seq_no != meta["if_seq_no"]):
            return fail(409, "version_conflict_engine_exception",
                        f"[{doc_id}]: version conflict, required seqNo [{meta['if_seq_no']}]")
        if kind == "create" and current is not None:
            return fail(409, "version_conflict_engine_exception",
                        f"[{doc_id}]: version conflict, document already exists")
        external = meta.get("version_type") == "external"
        if external and current is not None and current.version >= int(meta["version"]):
            return fail(409, "version_conflict_engine_exception",
                        f"[{doc_id}]: version conflict, current version [{current.version}] is"
                        f" higher or equal to the one provided [{meta['version']}]")
        if (meta.get("version_type") == "external_gte" and current is not None
                and current.version > int(meta["version"])):
            return fail(409, "version_conflict_engine_exception",
                        f"[{doc_id}]: version conflict, current version [{current.version}] is"
                        f" higher than the one provided [{meta['version']}]")
        if kind == "delete":
            if current is None:
                return {**out, "status": 404, "result": "not_found", "_version": 1}
            del index.docs[doc_id]
            index.seq += 1
            return {**out, "status": 200, "result": "deleted", "_seq_no": index.seq,
                    "_primary_term": 1, "_version": current.version + 1}
        if kind == "update":
            if current is None:
                return fail(404, "document_missing_exception", f"[{doc_id}]: document missing")
            source = {**current.source, **body["doc"]}
        else:
            source = body
        index.seq += 1
        version = int(meta["version"]) if external or meta.get("version_type") == "external_gte" \
            else (current.version + 1 if current else 1)
        index.docs[doc_id] = Doc(source, index.seq, version)
        return {**out, "status": 201 if current is None else 200,
                "result": "created" if current is None else "updated",
                "_seq_no": index.seq, "_primary_term": 1, "_version": version}

    # -- search --------------------------------------------------------------------------

    def _new_pit(self, index: str, pit: str | None = None) -> str:
        self._pit_n += 1
        new = f"pit-{self._pit_n}"
        pit = pit or new
        self.pit_ids[new] = pit
        self.pits[pit] = (index, new)
        return new

    def _msearch(self, lines: list[dict[str, Any]], default: str | None) -> tuple[int, Any]:
        responses = []
        for header, body in zip(lines[::2], lines[1::2], strict=True):
            try:
                responses.append({**self._search(header.get("index") or default, body),
                                  "status": 200})
            except EsError as err:
                responses.append({**err.body()})
        return 200, {"took": 1, "responses": responses}

    def _search(self, target: str | None, body: dict[str, Any],
                params: dict[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"took": 1, "timed_out": False}
        size = body.get("size", 10)
        if body.get("from", 0) + size > self.max_window:
            raise EsError(400, "illegal_argument_exception",
                          f"Result window is too large, from + size must be less than or equal"
                          f" to: [{self.max_window}] but was [{body.get('from', 0) + size}].")
        pit = body.get("pit")
        if pit is not None:
            context = self.pit_ids.get(pit["id"])
            if context is None or context not in self.pits:
                raise EsError(404, "search_context_missing_exception", "no such pit")
            target = self.pits[context][0]
            out["pit_id"] = self._new_pit(target, context)
        assert target is not None
        names = self.resolve(target)
        for name in names:
            self._available(name)
        query = body.get("query", {"match_all": {}})
        matched = []
        for name in names:
            for doc_id, doc in self.indices[name].visible.items():
                score = self._score(name, query, doc.source, doc_id)
                if score is not None:
                    matched.append((name, doc_id, doc, score))
        aggs = body.get("aggs") or body.get("aggregations")
        if aggs:
            out["aggregations"] = self._aggs(aggs, [m[2].source for m in matched])
        if "post_filter" in body:
            matched = [m for m in matched
                       if self._score(m[0], body["post_filter"], m[2].source, m[1]) is not None]
        sort = body.get("sort") or [{"_score": "desc"}]
        keyed = [(self._sort_values(sort, m), m) for m in matched]
        keyed.sort(key=lambda kv: _order_key(sort, kv[0]))
        after = body.get("search_after")
        if after is not None:
            keyed = [kv for kv in keyed if _order_key(sort, kv[0]) > _order_key(sort, after)]
        if "collapse" in body:
            seen: set[Any] = set()
            kept = []
            for kv in keyed:
                key = _get(kv[1][2].source, body["collapse"]["field"])
                if key not in seen:
                    seen.add(key)
                    kept.append(kv)
            keyed = kept
        hits = []
        start = body.get("from", 0)
        for values, (name, doc_id, doc, score) in keyed[start:start + size]:
            hit = {"_index": name, "_id": doc_id, "_score": score,
                   "_source": _filter_source(doc.source, {**(params or {}),
                                                          **_source_params(body)}),
                   "sort": values}
            hits.append(hit)
        out["hits"] = {"total": {"value": len(matched), "relation": "eq"},
                       "max_score": None, "hits": hits}
        return out

    def _sort_values(self, sort: list[Any], m: tuple[Any, ...]) -> list[Any]:
        name, doc_id, doc, score = m
        values: list[Any] = []
        for clause in sort:
            field_name = clause if isinstance(clause, str) else next(iter(clause))
            if field_name == "_score":
                values.append(score)
            elif field_name == "_shard_doc":
                values.append(doc.seq_no)
            elif field_name == "_geo_distance":
                spec = clause["_geo_distance"]
                (geo_field, point), = ((k, v) for k, v in spec.items()
                                       if k not in ("order", "unit"))
                here = _get(doc.source, geo_field)
                values.append(_km(here, point) if here is not None else None)
            elif field_name == "_script":
                script = clause["_script"]["script"]
                assert script["source"] == "Math.abs(doc['start_ts'].value - params.start)"
                values.append(float(abs(doc.source["start_ts"] - script["params"]["start"])))
            else:
                value = _get(doc.source, field_name)
                values.append(value[0] if isinstance(value, list) else value)
        return values

    def _aggs(self, aggs: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in aggs.items():
            if "terms" in spec:
                counts: dict[Any, int] = {}
                for src in sources:
                    value = _get(src, spec["terms"]["field"])
                    for v in set(value if isinstance(value, list) else [value]):
                        if v is not None:
                            counts[v] = counts.get(v, 0) + 1
                ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
                out[name] = {"buckets": [{"key": k, "doc_count": n}
                                         for k, n in ranked[: spec["terms"].get("size", 10)]]}
            elif "filters" in spec:
                out[name] = {"buckets": {
                    key: {"doc_count": sum(1 for s in sources
                                           if self._score("", q, s) is not None)}
                    for key, q in spec["filters"]["filters"].items()}}
            elif "filter" in spec:
                within = [s for s in sources if self._score("", spec["filter"], s) is not None]
                out[name] = {"doc_count": len(within),
                             **self._aggs(spec.get("aggs") or {}, within)}
            else:
                raise EsError(400, "unsupported", f"fake: aggregation {spec}")
        return out

    def _score(self, index: str, q: dict[str, Any], src: dict[str, Any],
               doc_id: str | None = None) -> float | None:
        """The score of ``src`` for ``q``, None when it does not match."""
        (kind, spec), = q.items()
        if kind == "match_all":
            return 1.0
        if kind == "bool":
            total = 0.0
            for clause in _list(spec.get("must")):
                s = self._score(index, clause, src, doc_id)
                if s is None:
                    return None
                total += s
            for clause in _list(spec.get("filter")):
                if self._score(index, clause, src, doc_id) is None:
                    return None
            for clause in _list(spec.get("must_not")):
                if self._score(index, clause, src, doc_id) is not None:
                    return None
            should = [self._score(index, c, src, doc_id) for c in _list(spec.get("should"))]
            hits = [s for s in should if s is not None]
            needed = spec.get("minimum_should_match",
                              1 if should and not spec.get("must") and not spec.get("filter")
                              else 0)
            if len(hits) < needed:
                return None
            return total + sum(hits)
        if kind == "constant_score":
            ok = self._score(index, spec["filter"], src, doc_id) is not None
            return float(spec.get("boost", 1.0)) if ok else None
        if kind == "ids":
            return 1.0 if doc_id in spec["values"] else None
        if kind == "exists":
            return 1.0 if _get(src, spec["field"]) not in (None, []) else None
        if kind == "geo_distance":
            (field_name, point), = ((k, v) for k, v in spec.items() if k != "distance")
            km = float(str(spec["distance"]).removesuffix("km"))
            here = _get(src, field_name)
            return 1.0 if here is not None and _km(here, point) <= km else None
        if kind == "geo_bounding_box":
            (field_name, box), = spec.items()
            here = _get(src, field_name)
            ok = here is not None and box["bottom_right"]["lat"] <= here["lat"] <= \
                box["top_left"]["lat"] and box["top_left"]["lon"] <= here["lon"] <= \
                box["bottom_right"]["lon"]
            return 1.0 if ok else None
        (field_name, arg), = spec.items()
        value = _get(src, field_name)
        values = value if isinstance(value, list) else [value]
        if kind == "term":
            wanted = arg["value"] if isinstance(arg, dict) else arg
            tokens = _tokens(values) if _is_text(field_name) else values
            return float(tokens.count(wanted)) or None
        if kind == "terms":
            return 1.0 if set(values) & set(arg) else None
        if kind == "prefix":
            wanted = arg["value"] if isinstance(arg, dict) else arg
            tokens = _tokens(values) if _is_text(field_name) else values
            return 1.0 if any(isinstance(t, str) and t.startswith(wanted) for t in tokens) \
                else None
        if kind == "match":
            text = arg["query"] if isinstance(arg, dict) else arg
            boost = float(arg.get("boost", 1.0)) if isinstance(arg, dict) else 1.0
            tokens = _tokens(values)
            found = sum(tokens.count(w) for w in str(text).split())
            return found * boost if found else None
        if kind == "range":
            present = [v for v in values if v is not None]
            if not present:
                return None
            v = present[0]
            ok = all(((op != "gt" or v > b) and (op != "gte" or v >= b) and
                      (op != "lt" or v < b) and (op != "lte" or v <= b)) for op, b in arg.items())
            return 1.0 if ok else None
        raise EsError(400, "unsupported", f"fake: query {kind}")


def _validate_bulk(lines: list[dict[str, Any]]) -> None:
    """What ``BulkRequest.validate`` refuses for the whole request, before any action runs:
    an id over 512 UTF-8 bytes (``DocWriteRequest.validateDocIdLength``) and a version its
    version type does not take (``validateSeqNoBasedCASParams``: external, 0 or more)."""
    errors = []
    i = 0
    while i < len(lines):
        (kind, meta), = lines[i].items()
        i += 1 if kind == "delete" else 2
        doc_id = str(meta.get("_id", ""))
        size = len(doc_id.encode("utf-8", "surrogatepass"))
        if kind in ("index", "create") and size > 512:
            errors.append(f"id [{doc_id}] is too long, must be no longer than 512 bytes but "
                          f"was: {size}")
        if int(meta.get("version", 0)) > 2**63 - 1:  # the parser reads a long
            raise EsError(400, "x_content_parse_exception",
                          f"Numeric value ({meta['version']}) out of range of long")
        if meta.get("version_type") in ("external", "external_gte") and int(
                meta.get("version", -1)) < 0:
            errors.append(f"illegal version value [{meta.get('version')}] for version type "
                          "[EXTERNAL]")
    if errors:
        raise EsError(400, "action_request_validation_exception", "Validation Failed: " + "".join(
            f"{n}: {e};" for n, e in enumerate(errors, 1)))


def _overlap(a: str, b: str) -> bool:
    """Whether two index patterns (``*`` at the end, if at all) can match one name."""
    pa, pb = a.split("*")[0], b.split("*")[0]
    if "*" in a and "*" in b:
        return pa.startswith(pb) or pb.startswith(pa)
    return fnmatch.fnmatchcase(b, a) or fnmatch.fnmatchcase(a, b)


def _km(a: dict[str, float], b: dict[str, float]) -> float:
    """Arc distance in km (Elasticsearch's default ``arc`` distance type, haversine)."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dl = math.radians(b["lon"] - a["lon"])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_text(name: str) -> bool:
    return name in ("text", "title_text")


def _tokens(values: list[Any]) -> list[str]:
    return [t for v in values if isinstance(v, str) for t in v.split()]


def _get(src: dict[str, Any], path: str) -> Any:
    cur: Any = src
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _order_key(sort: list[Any], values: list[Any]) -> tuple[Any, ...]:
    out = []
    for clause, value in zip(sort, values, strict=True):
        order = "asc"
        if isinstance(clause, dict):
            spec = next(iter(clause.values()))
            order = spec if isinstance(spec, str) else spec.get("order", "asc")
            if next(iter(clause)) == "_score" and not isinstance(spec, dict):
                order = spec
        missing = value is None
        if isinstance(value, int | float) and not isinstance(value, bool):
            key: Any = -value if order == "desc" else value
            out.append((missing, 0, key, ""))
        else:
            text = "" if value is None else str(value)
            out.append((missing, 1, 0, _desc(text) if order == "desc" else text))
    return tuple(out)


def _desc(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _source_params(body: dict[str, Any]) -> dict[str, str]:
    source = body.get("_source")
    if source is None:
        return {}
    if isinstance(source, list):
        return {"_source_includes": ",".join(source)}
    return {"_source": str(source).lower()}


def _filter_source(src: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    includes = params.get("_source_includes") or (
        params.get("_source") if params.get("_source") not in (None, "true", "false") else None)
    excludes = params.get("_source_excludes")
    out = src
    if includes:
        out = {}
        for path in includes.split(","):
            value = _get(src, path)
            if value is None and path.split(".")[0] not in src:
                continue
            cur = out
            parts = path.split(".")
            for part in parts[:-1]:
                cur = cur.setdefault(part, {})
            cur[parts[-1]] = value
    if excludes:
        out = {k: v for k, v in out.items() if k not in excludes.split(",")}
    return out


@contextlib.asynccontextmanager
async def running(major: int = 9, refresh_every_s: float | None = None
                  ) -> AsyncIterator[FakeElastic]:
    """A started :class:`FakeElastic`, stopped afterwards."""
    fake = await FakeElastic(major, refresh_every_s).start()
    try:
        yield fake
    finally:
        await fake.stop()
