"""What crosses between the judge and the executor: plain data, handles, and shared arrays.

Both processes run this module (the executor from a copy that holds only this file
and ``executor.py``). A message is a JSON tree plus numpy arrays in npy format,
never pickle. Values cross as:

- plain data, by value: None, bool, int, float, str; numpy bool/int/float scalars
  and arrays of exactly type ``ndarray``; lists, tuples and dicts of these;
- a *handle* for anything else (a layer, a class, a function, an ndarray subclass,
  an object array): the object stays where it was made, and the other side gets a
  ``Proxy`` whose attribute reads, calls and item access travel back to it;
- arrays and ``Generator``s the judge sends are *shared*: each side keeps its own
  copy, and before every message a side sends the changes it made to them, so an
  input modified in place or an ``rng`` advanced by the executor shows on the
  judge's side as if both ran in one process.
"""
import json
import math
import os
import re
import struct
import sys
import types
import weakref

import numpy as np

MAX_MESSAGE = 256 * 1024 ** 2   # bytes of one message
MAX_DEPTH = 32                  # nesting of lists, tuples and dicts
PLAIN_KINDS = "biuf"            # bool, int, unsigned, float
SCALARS = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
           np.uint64, np.float16, np.float32, np.float64, np.longdouble)
BIT_GENERATORS = {"PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM,
                  "MT19937": np.random.MT19937, "Philox": np.random.Philox, "SFC64": np.random.SFC64}
_HEADER = struct.Struct("<II")
_BLOB = struct.Struct("<Q")


class WireError(RuntimeError):
    """A message that is not well formed, or a value that cannot cross."""


class PeerGone(WireError):
    """The other process closed its end: it exited, crashed or was killed."""


def type_name(value):
    """The name of ``value``'s type; for a proxy, the type of the object it stands for."""
    return value._type if type(value) is Proxy else type(value).__name__


def _npy(array):
    """``array`` in npy format (version 1.0): the magic string, a header dict, the C-order data."""
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (array.dtype.str, array.shape)
    header += " " * (-(len(header) + 11) % 64) + "\n"        # the data starts 64-byte aligned
    return b"".join([_MAGIC, struct.pack("<H", len(header)), header.encode("latin1"),
                     np.ascontiguousarray(array).tobytes()])


def _array(data):
    """The array of an npy blob written by ``_npy``: plain dtypes only, never pickle."""
    match = _NPY_HEADER.match(data[10:10 + struct.unpack("<H", data[8:10])[0]]) \
        if data[:8] == _MAGIC and len(data) >= 10 else None
    if match is None:
        raise WireError("an array that is not in the npy format this grader writes")
    dtype = np.dtype(match["descr"].decode())
    if dtype.kind not in PLAIN_KINDS or dtype.names or dtype.subdtype:
        raise WireError(f"an array of dtype {dtype} cannot cross")
    shape = tuple(int(n) for n in match["shape"].replace(b",", b" ").split())
    start = 10 + struct.unpack("<H", data[8:10])[0]
    if len(data) - start != dtype.itemsize * math.prod(shape):
        raise WireError("an npy blob whose size does not match its shape")
    return np.frombuffer(data, dtype, offset=start).reshape(shape).copy()   # owns its memory


_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(rb"\{'descr': '(?P<descr>[<>|=][biuf][0-9]{1,2})', 'fortran_order': False, "
                         rb"'shape': \((?P<shape>[0-9, ]*)\), \} *\n\Z")


class Peer:
    """One end of the connection: encodes, decodes, sends and receives messages.

    ``owner``: True on the judge's side, which owns the shared arrays and generators.
    """

    def __init__(self, read_fd, write_fd, owner):
        self.read_fd, self.write_fd, self.owner = read_fd, write_fd, owner
        self.objects = {}        # handle id -> an object of ours the peer holds a proxy for
        self.handle_ids = {}     # id(object) -> handle id
        self.proxies = weakref.WeakValueDictionary()   # the peer's handle id -> our proxy
        self.shared = {}         # key -> [object, snapshot]: arrays and generators both sides hold
        self.shared_keys = {}    # id(object) -> key
        self.next_key = 0
        self.buffer = bytearray()
        self.reads = {}          # (op, target, name) -> what the judge read, until it asks for more
        self.serve = None        # request handler, set by the side that answers requests
        self.read_only = owner   # arrays the judge receives by value cannot be written by mistake

    catch = Exception            # what a failing request handler may raise and still be answered

    # --- values ---------------------------------------------------------------------------

    def encode(self, value, blobs, depth=0):
        if depth > MAX_DEPTH:
            raise WireError(f"nested deeper than {MAX_DEPTH} levels")
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value if abs(value) < 2 ** 63 else {"int": str(value)}
        if kind is float:
            return {"float": value.hex()}
        if kind in SCALARS:
            blobs.append(_npy(np.asarray(value)))
            return {"scalar": len(blobs) - 1}
        if isinstance(value, np.dtype) or (kind is type and value in SCALARS):
            dtype = np.dtype(value)
            if dtype.kind in PLAIN_KINDS and not dtype.names:
                return {"dtype": dtype.str, "type": kind is type}
        if kind is list or kind is tuple:
            items = [self.encode(v, blobs, depth + 1) for v in value]
            return {"list" if kind is list else "tuple": items}
        if kind is dict:
            return {"dict": [[self.encode(k, blobs, depth + 1), self.encode(v, blobs, depth + 1)]
                             for k, v in value.items()]}
        if type(value) is Proxy and value._peer is self:
            return {"yours": value._id}
        if kind is Method and value.proxy._peer is self:
            return {"method": value.name, "of": {"yours": value.proxy._id}}
        if kind is types.MethodType and type(value.__func__) is types.FunctionType:
            # one request per call of ``layer.forward(x)``, and no new handle per bound method
            return {"method": value.__func__.__name__, "of": self._handle(value.__self__)}
        if kind is np.ndarray and value.dtype.kind in PLAIN_KINDS and not value.dtype.names:
            key = self.shared_keys.get(id(value))
            if key is None and self.owner:
                key = self._share(value)
            if key is not None:
                self.shared[key][1] = _snapshot(value)
            blobs.append(_npy(value))
            return {"array": len(blobs) - 1, "key": key}
        if kind is np.random.Generator and type(value.bit_generator).__name__ in BIT_GENERATORS:
            key = self.shared_keys.get(id(value))
            if key is None and self.owner:
                key = self._share(value)
            state = _state(value)
            if key is not None:
                self.shared[key][1] = _snapshot(value)
            return {"generator": self.encode(state, blobs, depth + 1), "key": key}
        return self._handle(value)

    def _share(self, value):
        """A key for the judge's ``value``; the judge holds its arrays weakly (they are the checks')."""
        key = self.next_key
        self.next_key += 1
        if type(value) is np.ndarray:
            address = id(value)

            def forget(_):
                self.shared.pop(key, None)
                self.shared_keys.pop(address, None)
            self.shared[key] = [weakref.ref(value, forget), None]
        else:
            self.shared[key] = [value, None]
        self.shared_keys[id(value)] = key
        return key

    def _handle(self, value):
        handle = self.handle_ids.get(id(value))
        if handle is None:
            handle = len(self.objects)
            self.objects[handle] = value
            self.handle_ids[id(value)] = handle
        return {"handle": handle, "type": type(value).__name__[:200], "callable": callable(value)}

    def decode(self, tree, blobs, depth=0):
        if depth > MAX_DEPTH:
            raise WireError(f"nested deeper than {MAX_DEPTH} levels")
        if tree is None or type(tree) in (bool, str, int):
            return tree
        if type(tree) is not dict or len(tree) < 1:
            raise WireError(f"malformed value {str(tree)[:80]}")
        (tag, body), = list(tree.items())[:1]
        if tag == "float":
            return float.fromhex(body)
        if tag == "int":
            return int(body)
        if tag == "dtype":
            dtype = np.dtype(str(body))
            if dtype.kind not in PLAIN_KINDS or dtype.names:
                raise WireError(f"a dtype {dtype} cannot cross")
            return dtype.type if tree.get("type") else dtype
        if tag == "scalar":
            return _array(blobs[body])[()]
        if tag in ("list", "tuple"):
            items = [self.decode(v, blobs, depth + 1) for v in body]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            return {self.decode(k, blobs, depth + 1): self.decode(v, blobs, depth + 1) for k, v in body}
        if tag == "array":
            return self._receive_shared(tree.get("key"), _array(blobs[body]))
        if tag == "generator":
            return self._receive_shared(tree.get("key"), _generator(self.decode(body, blobs, depth + 1)))
        if tag == "method":
            of = self.decode(tree.get("of"), blobs, depth + 1)
            if type(of) is Proxy:
                return Method(of, str(body))
            if not isinstance(body, str) or body.startswith("_"):
                raise WireError(f"method {body!r} is not available")
            return getattr(of, body)
        if tag == "yours":
            try:
                return self.objects[body]
            except (KeyError, TypeError):
                raise WireError(f"unknown handle {body!r}") from None
        if tag == "handle":
            proxy = self.proxies.get(body)
            if proxy is None:
                proxy = Proxy(self, body, str(tree.get("type", "object")), bool(tree.get("callable")))
                self.proxies[body] = proxy
            return proxy
        raise WireError(f"unknown value tag {tag!r}")

    def _receive_shared(self, key, fresh):
        """Our object for shared ``key``, updated to ``fresh``; a new one the first time."""
        if key is None:
            if self.read_only and type(fresh) is np.ndarray:
                fresh.flags.writeable = False
            return fresh
        if type(key) is not int or key < 0:
            raise WireError(f"malformed shared key {key!r}")
        entry = self.shared.get(key)
        if entry is None or _live(entry) is None:
            if self.owner:                  # the judge's array is gone: this is a copy now
                return self._receive_shared(None, fresh)
            self.shared[key] = entry = [fresh, None]
            self.shared_keys[id(fresh)] = key
        else:
            _update(_live(entry), fresh)
        entry[1] = _snapshot(_live(entry))
        return _live(entry)

    def changes(self, blobs):
        """The shared objects changed since they last crossed, encoded (with their keys).

        The executor forgets the ones nothing but its table holds any more.
        """
        changed = []
        for key, entry in list(self.shared.items()):
            value = _live(entry)
            if value is None:
                continue
            if _snapshot(value) != entry[1]:
                changed.append(self.encode(value, blobs))
            elif not self.owner and sys.getrefcount(value) <= 3:   # the table, `value`, the argument
                del self.shared[key], self.shared_keys[id(entry[0])]
        return changed

    def apply(self, changes, blobs):
        for tree in changes:
            if type(tree) is not dict or tree.get("key") is None:
                raise WireError("malformed change")
            self.decode(tree, blobs)    # decoding a shared value updates ours in place

    # --- messages -------------------------------------------------------------------------

    def send(self, message, values=()):
        """Send ``message`` (a dict) with ``values`` (a dict of values to encode) and our changes."""
        blobs = []
        body = dict(message, values={k: self.encode(v, blobs) for k, v in dict(values).items()})
        body["changes"] = self.changes(blobs)
        data = json.dumps(body).encode()
        parts = [_HEADER.pack(len(data), len(blobs)), data]
        for blob in blobs:
            parts += [_BLOB.pack(len(blob)), blob]
        payload = b"".join(parts)
        if len(payload) > MAX_MESSAGE:
            raise WireError(f"a message of {len(payload) / 2 ** 20:.0f} MiB is over the "
                            f"{MAX_MESSAGE / 2 ** 20:.0f} MiB limit")
        view = memoryview(payload)
        while view:
            view = view[os.write(self.write_fd, view):]

    def receive(self):
        """The next message: (dict, values)."""
        read = self._read
        size, count = _HEADER.unpack(read(_HEADER.size))
        if size > MAX_MESSAGE or count > 100_000:
            raise WireError("message over the size limit")
        message = json.loads(read(size))
        blobs, total = [], size
        for _ in range(count):
            (length,) = _BLOB.unpack(read(_BLOB.size))
            total += length
            if total > MAX_MESSAGE:
                raise WireError("message over the size limit")
            blobs.append(read(length))
        if type(message) is not dict:
            raise WireError("malformed message")
        self.apply(message.get("changes", []), blobs)
        values = {k: self.decode(v, blobs) for k, v in message.pop("values", {}).items()}
        return message, values

    def _read(self, n):
        """Exactly ``n`` bytes, read in large chunks (what is left over waits in a buffer)."""
        while len(self.buffer) < n:
            chunk = self.read_chunk()
            if not chunk:
                raise PeerGone("the other process closed the connection")
            self.buffer += chunk
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def read_chunk(self):
        return os.read(self.read_fd, 1 << 20)

    # --- requests ---------------------------------------------------------------------------

    def request(self, op, **values):
        """Ask the peer to do ``op``; serve its requests (callbacks) until it answers.

        The judge keeps what it read (attributes, isinstance) until its next request
        of any other kind: reading does not change the executor's objects, and the
        checks read the same attributes many times.
        """
        if not self.owner:
            return self._request(op, values)
        if op not in READS:
            self.reads.clear()
            return self._request(op, values)
        key = (op, *(v._id if type(v) is Proxy else v for v in values.values()))
        try:
            hit = self.reads.get(key, _MISSING)
        except TypeError:                  # an unhashable argument: not kept
            return self._request(op, values)
        if hit is _MISSING:
            hit = self.reads[key] = self._request(op, values)
        return _fresh(hit)

    def _request(self, op, values):
        self.send({"op": op}, values)
        while True:
            message, got = self.receive()
            if "op" in message:
                self.answer(message, got)
            elif "error" in message:
                raise self.remote_error(message["error"])
            else:
                return got.get("result")

    def answer(self, message, values):
        try:
            result = self.serve(message["op"], values)
        except self.catch as error:  # any failure goes back as the answer
            self.send({"error": self.describe_error(error)})
        else:
            try:
                self.send({"done": True}, {"result": result})
            except WireError as error:
                self.send({"error": {"type": "WireError", "message": str(error), "frames": []}})

    def describe_error(self, error):
        return {"type": type(error).__name__, "message": _text(error), "frames": []}

    def remote_error(self, error):
        return RemoteError(error)


READS = ("getattr", "isinstance")
_MISSING = object()


def _fresh(value):
    """A copy of the containers in ``value`` (the arrays in it are read-only: shared)."""
    kind = type(value)
    if kind is list:
        return [_fresh(v) for v in value]
    if kind is tuple:
        return tuple(_fresh(v) for v in value)
    if kind is dict:
        return {k: _fresh(v) for k, v in value.items()}
    return value


class RemoteError(Exception):
    """An exception raised on the other side."""

    def __init__(self, error):
        super().__init__(f"{error.get('type')}: {error.get('message')}")
        self.error = error


def _live(entry):
    """The object of a shared entry (None for an array of the judge's that is gone)."""
    return entry[0]() if type(entry[0]) is weakref.ref else entry[0]


def _snapshot(value):
    if type(value) is np.ndarray:
        return (value.shape, value.dtype.str, value.tobytes())
    state = _state(value)
    if state["bit_generator"] in ("PCG64", "PCG64DXSM"):    # plain ints: compare as they are
        return state
    return json.dumps(state, default=lambda a: a.tolist(), sort_keys=True)


def _state(generator):
    return generator.bit_generator.state


def _generator(state):
    if type(state) is not dict or state.get("bit_generator") not in BIT_GENERATORS:
        raise WireError("malformed generator state")
    bit_generator = BIT_GENERATORS[state["bit_generator"]]()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _update(target, fresh):
    """Make ``target`` (ours) equal to ``fresh`` (just received), in place."""
    if type(target) is np.ndarray:
        if type(fresh) is not np.ndarray or target.shape != fresh.shape or target.dtype != fresh.dtype:
            raise WireError("a shared array changed its shape or dtype")
        writeable = target.flags.writeable
        target.flags.writeable = True
        target[...] = fresh
        target.flags.writeable = writeable
    else:
        target.bit_generator.state = _state(fresh)


def _text(error, limit=4000):
    try:
        text = str(error)
    except Exception:  # noqa: BLE001 -- a hostile __str__ may raise anything
        text = f"<{type(error).__name__}>"
    return text if len(text) <= limit else text[:limit - 6] + " [cut]"


class Proxy:
    """Stands for an object that lives on the other side: every use is a request to it."""

    __slots__ = ("_peer", "_id", "_type", "_callable", "_methods", "__weakref__")

    def __init__(self, peer, handle, type_, callable_):
        object.__setattr__(self, "_methods", {})     # name -> Method: looked up again at each call
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_id", handle)
        object.__setattr__(self, "_type", type_)
        object.__setattr__(self, "_callable", callable_)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        method = self._methods.get(name)
        if method is not None:
            return method
        value = self._peer.request("getattr", target=self, name=name)
        if type(value) is Method and value.proxy is self:
            self._methods[name] = value
        return value

    def __setattr__(self, name, value):
        self._methods.pop(name, None)
        self._peer.request("setattr", target=self, name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._peer.request("call", target=self, args=args, kwargs=kwargs)

    def __getitem__(self, key):
        return self._peer.request("getitem", target=self, key=key)

    def __setitem__(self, key, value):
        self._peer.request("setitem", target=self, key=key, value=value)

    def __len__(self):
        return self._peer.request("len", target=self)

    def __iter__(self):
        return iter(self._peer.request("list", target=self))

    def __instancecheck__(self, instance):
        return self._peer.request("isinstance", target=instance, cls=self)

    def __repr__(self):
        return f"<{self._type} object>"


class Method:
    """A method of an object on the other side: ``proxy.forward``; calling it is one request."""

    __slots__ = ("proxy", "name")

    def __init__(self, proxy, name):
        self.proxy, self.name = proxy, name

    def __call__(self, *args, **kwargs):
        return self.proxy._peer.request("callmethod", target=self.proxy, name=self.name,
                                        args=args, kwargs=kwargs)

    def __repr__(self):
        return f"<method {self.name} of {self.proxy!r}>"
