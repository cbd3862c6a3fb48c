"""A throw-away Samba Active Directory domain controller: provision, clone, start, stop.

``provision()`` runs ``samba-tool domain provision`` once into a template folder (about 4 s,
almost all of it Samba loading the AD schema). Each DC is then a copy of that folder
(``SambaDC.clone``, milliseconds): the session's seeded DC and the short-lived ones that tests
stop or freeze on purpose. Samba cannot move its LDAP ports (389, 636, 3268, 3269), so each DC
gets its own loopback address (127.0.0.1 when free, else 127.0.0.2, ...), which also keeps a
system LDAP server on 127.0.0.1 out of the way.

Only the ``ldap`` service runs (no SMB, Kerberos, DNS, winbind): the client under test does a
simple bind over TLS. ``ldb:nosync`` skips fsync, halving the cost of seeding.

TLS: Samba would make a self-signed certificate for ``<host>.<realm>``, a name that does not
resolve here and does not name 127.0.0.x, so a client that checks host names (ours does)
could not use it. Each DC instead gets a certificate from a test CA made with ``trustme``,
issued for its address (or for the names a test asks for); ``SambaDC.ca_path`` is that CA.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import trustme

with warnings.catch_warnings():  # as in dirsync_bridge.enrich.onprem: ldap3 vs pyasn1 0.6.1
    warnings.filterwarnings("ignore", r"(tagMap|typeMap) is deprecated", DeprecationWarning)
    from ldap3 import NONE, Connection, Server, Tls

REALM = "CONTOSO.TEST"
DOMAIN = "CONTOSO"
BASE_DN = "DC=contoso,DC=test"
ADMIN_DN = f"CN=Administrator,CN=Users,{BASE_DN}"
ADMIN_PASSWORD = "Dirsync-Test-1!"  # a throw-away DC on loopback; not a secret
LDAP_PORTS = (389, 636, 3268, 3269)
START_TIMEOUT = 30.0
INSTALL_HINT = "run .ci/setup-samba (as root) to install the Samba AD DC packages"


class SambaUnavailable(RuntimeError):
    """Samba is not installed or cannot run here; the message says what to do."""


def samba_binaries() -> tuple[str, str]:
    """Paths of ``samba-tool`` and ``samba``; ``SambaUnavailable`` naming the fix if absent."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])
    tool, daemon = shutil.which("samba-tool", path=search), shutil.which("samba", path=search)
    if tool is None or daemon is None:
        raise SambaUnavailable(
            f"the Samba AD DC (samba-tool, samba) is not installed: {INSTALL_HINT}"
        )
    if os.geteuid() != 0:
        raise SambaUnavailable("the Samba AD DC must run as root (it binds ports 389 and 636)")
    return tool, daemon


def provision(target: Path) -> Path:
    """Provision a domain (CONTOSO.TEST, no DNS, LDAP only) into ``target``; returns it."""
    tool, _ = samba_binaries()
    target.mkdir(parents=True, exist_ok=True)
    # An empty configuration so that the machine's /etc/samba/smb.conf leaks nothing in.
    seed = target / "empty.conf"
    seed.write_text("")
    options = {
        "server services": "ldap",
        "ldb:nosync": "true",
        "netbios name": "DC1",  # the machine's host name may be longer than NetBIOS allows
        "interfaces": "127.0.0.1/8",  # replaced per clone
        "bind interfaces only": "yes",
    }
    command = [
        tool, "domain", "provision", "-s", str(seed),
        "--server-role=dc", "--dns-backend=NONE",
        f"--realm={REALM}", f"--domain={DOMAIN}", "--host-name=dc1",
        f"--adminpass={ADMIN_PASSWORD}", f"--targetdir={target}",
        *(f"--option={k}={v}" for k, v in options.items()),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise SambaUnavailable(f"samba-tool domain provision failed ({done.returncode}):\n{tail}")
    return target


def _bindable(address: str) -> bool:
    with contextlib.ExitStack() as probes:
        for port in LDAP_PORTS:
            probe = probes.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Samba binds
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


def free_loopback(taken: set[str] | None = None) -> str:
    """A loopback address on which all four LDAP ports are free, 127.0.0.1 first."""
    for last in range(1, 255):
        address = f"127.0.0.{last}"
        if address not in (taken or set()) and _bindable(address):
            return address
    raise SambaUnavailable("no loopback address 127.0.0.1-254 has ports 389/636/3268/3269 free")


_in_use: set[str] = set()
"""Addresses handed to a DC by this test run (a stopped DC still owns its address)."""


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test run dies, so no orphan DC keeps the ports."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class SambaDC:
    """One Samba AD DC from a copy of the template, on its own loopback address."""

    root: Path
    address: str
    ca_path: Path
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def clone(
        cls, template: Path, root: Path, ca: trustme.CA, names: tuple[str, ...] = ()
    ) -> SambaDC:
        """Copy the template to ``root``, pick an address, issue its certificate."""
        shutil.copytree(template, root, symlinks=True)
        address = free_loopback(_in_use)
        _in_use.add(address)
        conf = root / "etc" / "smb.conf"
        conf.write_text(conf.read_text().replace(str(template), str(root)))
        tls = root / "tls"
        tls.mkdir()
        ca.cert_pem.write_to_path(str(tls / "ca.pem"))
        issued = ca.issue_cert(*(names or (address,)))
        issued.cert_chain_pems[0].write_to_path(str(tls / "cert.pem"))
        issued.private_key_pem.write_to_path(str(tls / "key.pem"))
        (tls / "key.pem").chmod(0o600)  # Samba refuses a key file others can read
        return cls(root=root, address=address, ca_path=tls / "ca.pem")

    @classmethod
    def launch(
        cls, template: Path, root: Path, ca: trustme.CA, names: tuple[str, ...] = ()
    ) -> SambaDC:
        """Clone and start a DC; if another process took its address meanwhile, try another."""
        for attempt in range(1, 4):
            dc = cls.clone(template, root / f"dc{attempt}", ca, names)
            try:
                dc.start()
                return dc
            except SambaUnavailable:
                dc.stop()  # keep the address in _in_use: someone else is on it
                if attempt == 3 or "ADDRESS_ALREADY_ASSOCIATED" not in dc.log_tail():
                    raise
        raise AssertionError("unreachable")

    @property
    def url(self) -> str:
        """LDAPS on the domain partition."""
        return f"ldaps://{self.address}"

    @property
    def gc_url(self) -> str:
        """LDAPS on the global catalog."""
        return f"ldaps://{self.address}:3269"

    @property
    def starttls_url(self) -> str:
        """Plain LDAP, for StartTLS."""
        return f"ldap://{self.address}"

    @property
    def log_path(self) -> Path:
        """Where the daemon's output goes."""
        return self.root / "samba.log"

    def start(self, timeout: float = START_TIMEOUT) -> float:
        """Start ``samba`` in the foreground and wait until LDAPS answers; seconds taken."""
        _, daemon = samba_binaries()
        tls = self.root / "tls"
        options = {
            "interfaces": f"{self.address}/8",
            "pid directory": str(self.root),
            "tls enabled": "yes",
            "tls keyfile": str(tls / "key.pem"),
            "tls certfile": str(tls / "cert.pem"),
            "tls cafile": str(tls / "ca.pem"),
        }
        command = [daemon, "-i", "-M", "single", "--debuglevel=1"]
        command += ["-s", str(self.root / "etc" / "smb.conf")]
        command += [f"--option={k}={v}" for k, v in options.items()]
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        self._wait_ready(began + timeout)
        return time.monotonic() - began

    def _wait_ready(self, deadline: float) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_path))
        context.check_hostname = False  # readiness only; the client under test checks names
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SambaUnavailable(
                    f"samba exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            try:
                with (
                    socket.create_connection((self.address, 636), timeout=1) as raw,
                    context.wrap_socket(raw),
                ):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SambaUnavailable(
                        f"LDAPS on {self.address}:636 never answered:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL after 5 s); a no-op when not running."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGCONT)  # a frozen daemon cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def freeze(self) -> None:
        """SIGSTOP: the kernel still accepts connections, but nothing ever answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after ``freeze``."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def release(self, remove: bool = False) -> None:
        """Stop, give the address back for another DC, and delete the copy if asked (33 MB)."""
        self.stop()
        _in_use.discard(self.address)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 25) -> str:
        """The end of the daemon's output, for failure messages."""
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def admin(self) -> Connection:
        """An ldap3 connection bound as Administrator over LDAPS, for seeding and checks.

        Certificate checks are off here (ldap3's own host-name check warns on Python 3.11,
        and warnings are errors in this suite); the code under test always verifies.
        """
        server = Server(
            self.address, port=636, use_ssl=True, tls=Tls(validate=ssl.CERT_NONE), get_info=NONE
        )
        return Connection(
            server, ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True,
            auto_referrals=False,
        )  # fmt: skip

    def samba_tool(self, *args: str) -> str:
        """Run ``samba-tool`` against this DC's database directly (no LDAP); its stdout."""
        tool, _ = samba_binaries()
        database, conf = self.root / "private" / "sam.ldb", self.root / "etc" / "smb.conf"
        command = [tool, *args, "-H", f"tdb://{database}", "-s", str(conf)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"samba-tool {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout


# Seeding ------------------------------------------------------------------------------------

USER = ["top", "person", "organizationalPerson", "user"]
CONTACT = ["top", "person", "organizationalPerson", "contact"]
GROUP = ["top", "group"]
NORMAL_ACCOUNT, DISABLED_ACCOUNT, WORKSTATION_TRUST_ACCOUNT = 512, 514, 4096
BULK_COUNT = 1_100
"""More holders than AD's MaxPageSize (1,000): only a paged search returns them all."""


@dataclass(frozen=True)
class Seeded:
    """The DNs and values the seed made, so that tests name what they expect."""

    john: str  # user: UPN, mail and primary SMTP john@; enabled
    sales: str  # group: secondary smtp:john@ (prefix in the other case)
    john_contact: str  # contact: mail john@
    anna: str  # user: disabled, SMTP:anna@
    anna_contact: str  # contact: smtp:ANNA@CONTOSO.TEST (address in the other case)
    pat: str  # user: UPN pat.upn@ only (mail is pat@)
    mike: str  # user: mS-DS-ConsistencyGuid set (a forest move)
    starry: str  # contact: a proxy address full of filter metacharacters
    consistency_guid: bytes
    bulk_value: str
    bulk_dns: frozenset[str]
    seconds: float  # how long seeding took
    bulk_seconds: float  # of which the bulk contacts


def _unicode_pwd(password: str) -> bytes:
    return f'"{password}"'.encode("utf-16-le")


def seed(connection: Connection, base: str = BASE_DN) -> Seeded:
    """Fill a fresh DC with users, groups and contacts that share values; ~3 s, mostly bulk."""
    began = time.monotonic()
    for ou in ("Staff", "Groups", "Contacts", "Bulk"):
        connection.add(f"OU={ou},{base}", ["top", "organizationalUnit"])
    staff, groups, contacts = f"OU=Staff,{base}", f"OU=Groups,{base}", f"OU=Contacts,{base}"

    def add(dn: str, classes: list[str], **attributes: object) -> str:
        connection.add(dn, classes, attributes)
        return dn

    john = add(
        f"CN=John Smith,{staff}", USER, sAMAccountName="jsmith",
        userPrincipalName="john@contoso.test", mail="john@contoso.test",
        proxyAddresses=["SMTP:john@contoso.test", "smtp:j.smith@contoso.test",
                        "sip:john@contoso.test"],
        unicodePwd=_unicode_pwd("Seed-Passw0rd!"), userAccountControl=NORMAL_ACCOUNT,
    )  # fmt: skip
    sales = add(
        f"CN=Sales,{groups}", GROUP, sAMAccountName="sales", mail="sales@contoso.test",
        proxyAddresses=["SMTP:sales@contoso.test", "smtp:john@contoso.test"],
    )  # fmt: skip
    john_contact = add(
        f"CN=John Smith (Fabrikam),{contacts}", CONTACT, mail="john@contoso.test",
        proxyAddresses=["SMTP:john.smith@fabrikam.test"],
    )  # fmt: skip
    anna = add(
        f"CN=Anna Old,{staff}", USER, sAMAccountName="anna.old",
        userPrincipalName="anna@contoso.test", mail="anna@contoso.test",
        proxyAddresses=["SMTP:anna@contoso.test"], userAccountControl=DISABLED_ACCOUNT,
    )  # fmt: skip
    anna_contact = add(
        f"CN=Anna (Partner),{contacts}", CONTACT, proxyAddresses=["smtp:ANNA@CONTOSO.TEST"]
    )
    pat = add(
        f"CN=Pat Doe,{staff}", USER, sAMAccountName="pat", mail="pat@contoso.test",
        userPrincipalName="pat.upn@contoso.test", userAccountControl=DISABLED_ACCOUNT,
    )  # fmt: skip
    # Entra Connect's anchor after a forest move: the objectGUID of the object in the old forest.
    consistency = bytes.fromhex("0e0b1f9b1e5c7a4d9f362f8e2b1c0a11")
    mike = add(
        f"CN=Mike Moved,{staff}", USER, sAMAccountName="mike",
        userPrincipalName="mike@contoso.test", proxyAddresses=["SMTP:mike@contoso.test"],
        userAccountControl=DISABLED_ACCOUNT, **{"mS-DS-ConsistencyGuid": consistency},
    )  # fmt: skip
    starry = add(f"CN=Starry,{contacts}", CONTACT, proxyAddresses=["smtp:st*r(x)\\y@contoso.test"])
    # A computer is a user to LDAP, but Entra Connect does not sync it as one.
    add(
        f"CN=KIOSK01,CN=Computers,{base}", [*USER, "computer"], sAMAccountName="KIOSK01$",
        mail="kiosk@contoso.test", userAccountControl=WORKSTATION_TRUST_ACCOUNT,
    )  # fmt: skip

    bulk_began = time.monotonic()
    bulk_value = "smtp:everyone@contoso.test"
    bulk_dns = frozenset(
        add(f"CN=Bulk {i:04d},OU=Bulk,{base}", CONTACT, proxyAddresses=[bulk_value])
        for i in range(BULK_COUNT)
    )
    finished = time.monotonic()
    return Seeded(
        john=john, sales=sales, john_contact=john_contact, anna=anna,
        anna_contact=anna_contact, pat=pat, mike=mike, starry=starry,
        consistency_guid=consistency, bulk_value=bulk_value, bulk_dns=bulk_dns,
        seconds=finished - began, bulk_seconds=finished - bulk_began,
    )  # fmt: skip
