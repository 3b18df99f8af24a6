"""Confine an executor with the kernel's help before it runs any student code (Linux).

    confine(readable=[...], writable=[home])    # in the executor, right after the fork

- Landlock (Linux 5.13+, no privileges needed): the process may read only the
  folders given (the Python installation and the executor's workspace), write
  only in its home, open no TCP connection, and signal no process outside
  itself. The reference solutions, the checks and the rest of the disk are out
  of its reach, whatever its user.
- seccomp: no new process or thread (fork, vfork, clone, clone3), no exec, no
  kill/tkill/tgkill (a signal to another process), no ptrace, no socket, and no
  prctl (so ``die_with_parent`` cannot be undone).

Both are irreversible for the process and its (impossible) children. What the
kernel does not offer is skipped, and ``confine`` says which, for the report.
"""
import ctypes
import errno
import os
import platform
import struct

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION, LANDLOCK_RULE_PATH_BENEATH = 1, 1
READ = 1 << 0 | 1 << 2 | 1 << 3                  # execute, read a file, read a folder
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
NET_TCP = 1 << 0 | 1 << 1                        # bind, connect (ABI 4)
SCOPE_ALL = 1 << 0 | 1 << 1                      # abstract unix sockets, signals (ABI 6)
# (audit arch, syscall numbers denied) per machine; clone3 answers ENOSYS so that libc falls back
ARCHES = {
    "x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "clone": 56, "execve": 59, "execveat": 322,
                            "kill": 62, "tkill": 200, "tgkill": 234, "ptrace": 101, "socket": 41,
                            "prctl": 157, "clone3": 435}),
    "aarch64": (0xC00000B7, {"clone": 220, "execve": 221, "execveat": 281, "kill": 129,
                             "tkill": 130, "tgkill": 131, "ptrace": 117, "socket": 198,
                             "prctl": 167, "clone3": 435}),
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def confine(readable, writable):
    """Apply what the kernel allows; returns {"landlock": ABI or 0, "seccomp": bool}."""
    done = {"landlock": 0, "seccomp": False}
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return done
    done["landlock"] = _landlock(readable, writable)
    done["seccomp"] = _seccomp()
    return done


def die_with_parent(parent):
    """Be killed when ``parent`` (a pid) exits, so that nothing outlives a judge that was killed.

    Exits at once if ``parent`` is already gone (the parent died before the call).
    """
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)          # SIGKILL
    if os.getppid() != parent:
        os._exit(1)


def _landlock(readable, writable):
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return 0
    everything = FS_BY_ABI[max(k for k in FS_BY_ABI if k <= abi)]
    attr = struct.pack("QQQ", everything, NET_TCP if abi >= 4 else 0, SCOPE_ALL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return 0
    try:
        for paths, access in ((readable, READ), (writable, everything)):
            for path in paths:
                _allow(ruleset, path, access)
        if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _allow(ruleset, path, access):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return                                # a folder that does not exist needs no rule
    try:
        if not os.path.isdir(path):
            access &= 1 << 0 | 1 << 1 | 1 << 2 | 1 << 14 | 1 << 15   # a file takes file rights only
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        _libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0)
    finally:
        os.close(fd)


def _seccomp():
    arch = ARCHES.get(platform.machine())
    if arch is None:
        return False
    audit_arch, numbers = arch
    ld_w_abs, jeq, ret = 0x20, 0x15, 0x06          # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET
    allow, kill_process = 0x7FFF0000, 0x80000000
    errno_of = {name: 0x00050000 | (errno.ENOSYS if name == "clone3" else errno.EPERM)
                for name in numbers}
    jge = 0x35                                         # BPF_JMP|BPF_JGE|BPF_K
    program = [(ld_w_abs, 0, 0, 4),                    # seccomp_data.arch
               (jeq, 1, 0, audit_arch), (ret, 0, 0, kill_process),
               (ld_w_abs, 0, 0, 0),                    # seccomp_data.nr
               (jge, 0, 1, 0x40000000), (ret, 0, 0, kill_process)]   # x32 numbers: no way around
    for name, number in numbers.items():
        program += [(jeq, 0, 1, number), (ret, 0, 0, errno_of[name])]
    program.append((ret, 0, 0, allow))
    filters = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(filters, len(filters))
    fprog = struct.pack("HxxxxxxP", len(program), ctypes.addressof(buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog, len(fprog))
    return _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog_buffer, 0, 0) == 0


def python_paths():
    """What the interpreter needs to read: its installation, its path, the system's libraries."""
    import sys
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)),
             "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc", "/dev", "/proc"}
    found.update(p for p in sys.path if p and os.path.exists(p))
    return sorted(found)
