"""Our own client of the Fabric Gateway gRPC service (Fabric 2.4+/3.x peers).

Evaluate, endorse + submit with commit status, and the chaincode event stream, signed with an
identity read from an MSP folder. Signing follows the peer's rules: ECDSA P-256 over SHA-256,
DER-encoded, low-S (a high S is replaced by n - S; peers reject high-S signatures). The signed
bytes are the proposal bytes (Evaluate/Endorse), the prepared envelope's payload (Submit) and
the serialized request (CommitStatus, ChaincodeEvents). The transaction id is
hex(sha256(nonce || serialized creator)) with a 24-byte random nonce.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.msp import identities_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2
from google.protobuf import timestamp_pb2

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
VALID = 0  # peer.TxValidationCode.VALID


class GatewayError(Exception):
    """A failed call: ``status`` is the gRPC code name, ``message`` the chaincode's or peer's text."""

    def __init__(self, operation: str, status: str, message: str, details: Sequence[str] = ()) -> None:
        self.operation, self.status, self.message, self.details = operation, status, message, list(details)
        super().__init__(f"{operation} failed ({status}): {message}" + (f" [{'; '.join(details)}]" if details else ""))


class CommitError(Exception):
    """The transaction was ordered but the peers marked it invalid (e.g. MVCC conflict)."""

    def __init__(self, tx_id: str, code: int) -> None:
        super().__init__(f"transaction {tx_id} committed as invalid (validation code {code})")
        self.tx_id, self.code = tx_id, code


# --------------------------------------------------------------------------- identity and signing


def low_s(signature_der: bytes) -> bytes:
    """Re-encode an ECDSA P-256 DER signature with S in the lower half of the group order."""
    r, s = decode_dss_signature(signature_der)
    if s > P256_ORDER // 2:
        s = P256_ORDER - s
    return encode_dss_signature(r, s)


@dataclass(frozen=True)
class Identity:
    """An MSP id, its X.509 certificate (PEM) and the matching P-256 private key."""

    msp_id: str
    certificate_pem: bytes
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def from_msp_folder(cls, msp_id: str, folder: Path) -> Identity:
        """Read ``signcerts/*.pem`` and ``keystore/*`` as cryptogen writes them; errors name the file."""
        certs = sorted((folder / "signcerts").glob("*.pem"))
        keys = sorted(p for p in (folder / "keystore").glob("*") if p.is_file())
        if len(certs) != 1:
            raise ValueError(f"{folder / 'signcerts'}: expected one certificate, found {len(certs)}")
        if len(keys) != 1:
            raise ValueError(f"{folder / 'keystore'}: expected one private key, found {len(keys)}")
        try:
            key = serialization.load_pem_private_key(keys[0].read_bytes(), password=None)
        except ValueError as exc:
            raise ValueError(f"{keys[0]}: not a PEM private key: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError(f"{keys[0]}: Fabric identities need an ECDSA P-256 key")
        return cls(msp_id, certs[0].read_bytes(), key)

    def serialized(self) -> bytes:
        return identities_pb2.SerializedIdentity(mspid=self.msp_id, id_bytes=self.certificate_pem).SerializeToString()

    def sign(self, message: bytes) -> bytes:
        return low_s(self.private_key.sign(message, ec.ECDSA(hashes.SHA256())))


def transaction_id(nonce: bytes, creator: bytes) -> str:
    return hashlib.sha256(nonce + creator).hexdigest()


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Proposal:
    tx_id: str
    channel: str
    signed: proposal_pb2.SignedProposal


def build_proposal(identity: Identity, channel: str, chaincode: str, function: str, args: Sequence[str | bytes],
                   transient: dict[str, bytes] | None = None, nonce: bytes | None = None) -> Proposal:
    """An endorser-transaction proposal for ``function(args)``, signed by ``identity``."""
    nonce = nonce if nonce is not None else os.urandom(24)
    creator = identity.serialized()
    tx_id = transaction_id(nonce, creator)
    now = time.time()
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.HeaderType.ENDORSER_TRANSACTION, channel_id=channel, tx_id=tx_id,
        timestamp=timestamp_pb2.Timestamp(seconds=int(now), nanos=int((now % 1) * 1e9)),
        extension=proposal_pb2.ChaincodeHeaderExtension(
            chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode)).SerializeToString(),
    )
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    inputs = [function.encode(), *(a if isinstance(a, bytes) else a.encode() for a in args)]
    invocation = chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=chaincode_pb2.ChaincodeSpec(
        type=chaincode_pb2.ChaincodeSpec.Type.GOLANG, chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode),
        input=chaincode_pb2.ChaincodeInput(args=inputs)))
    payload = proposal_pb2.ChaincodeProposalPayload(input=invocation.SerializeToString(), TransientMap=transient or {})
    proposal_bytes = proposal_pb2.Proposal(header=header.SerializeToString(),
                                           payload=payload.SerializeToString()).SerializeToString()
    signed = proposal_pb2.SignedProposal(proposal_bytes=proposal_bytes, signature=identity.sign(proposal_bytes))
    return Proposal(tx_id, channel, signed)


# --------------------------------------------------------------------------- connection profile


@dataclass(frozen=True)
class ConnectionProfile:
    """Where the gateway peer is and how patient to be with it."""

    endpoint: str  # host:port of a peer's gateway
    channel: str = "trade-finance"
    chaincode: str = "blocktrade"
    tls_root_cert: Path | None = None  # None: plaintext (the local network runs without TLS)
    server_name: str | None = None
    evaluate_timeout: float = 5.0
    endorse_timeout: float = 15.0
    submit_timeout: float = 5.0
    commit_timeout: float = 60.0
    retries: int = 3  # for UNAVAILABLE only: other failures are answers, not outages
    retry_backoff: float = 0.5
    endorsing_organizations: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> ConnectionProfile:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"{path}: cannot read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("endpoint"), str):
            raise ValueError(f"{path}: needs an 'endpoint' (host:port)")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{path}: unknown field(s) {', '.join(unknown)}")
        if raw.get("tls_root_cert"):
            raw["tls_root_cert"] = (path.parent / raw["tls_root_cert"]).resolve()
        if "endorsing_organizations" in raw:
            raw["endorsing_organizations"] = tuple(raw["endorsing_organizations"])
        return cls(**raw)


# --------------------------------------------------------------------------- the client


@dataclass
class SubmitResult:
    tx_id: str
    result: bytes
    block_number: int


@dataclass
class ChaincodeEvent:
    block_number: int
    tx_id: str
    name: str
    payload: bytes

    def json(self) -> Any:
        return json.loads(self.payload)


def _error(operation: str, exc: grpc.RpcError) -> GatewayError:
    details: list[str] = []
    try:
        from google.rpc import status_pb2

        for key, value in exc.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                status = status_pb2.Status.FromString(value)
                for any_detail in status.details:
                    detail = gateway_pb2.ErrorDetail()
                    if any_detail.Unpack(detail):
                        details.append(f"{detail.msp_id}@{detail.address}: {detail.message}")
    except Exception:  # details are a bonus; the status message below is what the caller needs
        details = []
    code = exc.code().name if exc.code() else "UNKNOWN"
    return GatewayError(operation, code, exc.details() or "", details)


@dataclass
class Gateway:
    """A connection to one peer's gateway, acting as one identity."""

    profile: ConnectionProfile
    identity: Identity
    _channel: grpc.Channel | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        p = self.profile
        if p.tls_root_cert is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=p.tls_root_cert.read_bytes())
            opts = [("grpc.ssl_target_name_override", p.server_name)] if p.server_name else []
            self._channel = grpc.secure_channel(p.endpoint, creds, options=opts)
        else:
            self._channel = grpc.insecure_channel(p.endpoint)
        self._stub = gateway_pb2_grpc.GatewayStub(self._channel)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, operation: str, method: Any, request: Any, timeout: float) -> Any:
        """Call with retries on UNAVAILABLE (the peer restarting); the same signed request is resent,
        so a retry can never create a second transaction."""
        attempt = 0
        while True:
            try:
                return method(request, timeout=timeout)
            except grpc.RpcError as exc:
                attempt += 1
                if exc.code() != grpc.StatusCode.UNAVAILABLE or attempt > self.profile.retries:
                    raise _error(operation, exc) from None
                time.sleep(self.profile.retry_backoff * attempt)

    def evaluate(self, function: str, *args: str, chaincode: str | None = None) -> bytes:
        """Run a query on the gateway peer; nothing is ordered."""
        p = self.profile
        proposal = build_proposal(self.identity, p.channel, chaincode or p.chaincode, function, args)
        request = gateway_pb2.EvaluateRequest(transaction_id=proposal.tx_id, channel_id=p.channel,
                                              proposed_transaction=proposal.signed)
        response = self._call("evaluate", self._stub.Evaluate, request, p.evaluate_timeout)
        return bytes(response.result.payload)

    def submit(self, function: str, *args: str, chaincode: str | None = None, wait: bool = True) -> SubmitResult:
        """Endorse, sign the prepared transaction, submit it to ordering and (by default) wait for commit."""
        p = self.profile
        proposal = build_proposal(self.identity, p.channel, chaincode or p.chaincode, function, args)
        endorse = gateway_pb2.EndorseRequest(transaction_id=proposal.tx_id, channel_id=p.channel,
                                             proposed_transaction=proposal.signed,
                                             endorsing_organizations=list(p.endorsing_organizations))
        endorsed = self._call("endorse", self._stub.Endorse, endorse, p.endorse_timeout)
        envelope = endorsed.prepared_transaction
        envelope.signature = self.identity.sign(envelope.payload)
        self._call("submit", self._stub.Submit,
                   gateway_pb2.SubmitRequest(transaction_id=proposal.tx_id, channel_id=p.channel,
                                             prepared_transaction=envelope), p.submit_timeout)
        result = _proposal_result(envelope)
        if not wait:
            return SubmitResult(proposal.tx_id, result, -1)
        code, block = self.commit_status(proposal.tx_id)
        if code != VALID:
            raise CommitError(proposal.tx_id, code)
        return SubmitResult(proposal.tx_id, result, block)

    def commit_status(self, tx_id: str) -> tuple[int, int]:
        """Wait until ``tx_id`` is committed; returns (validation code, block number)."""
        p = self.profile
        request = gateway_pb2.CommitStatusRequest(transaction_id=tx_id, channel_id=p.channel,
                                                  identity=self.identity.serialized()).SerializeToString()
        signed = gateway_pb2.SignedCommitStatusRequest(request=request, signature=self.identity.sign(request))
        response = self._call("commit status", self._stub.CommitStatus, signed, p.commit_timeout)
        return int(response.result), int(response.block_number)

    def events(self, start_block: int | None = None, chaincode: str | None = None,
               timeout: float | None = None) -> Iterator[ChaincodeEvent]:
        """Stream chaincode events from ``start_block`` (or from the next block) on, in commit order."""
        p = self.profile
        if start_block is None:
            position = ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())
        else:
            position = ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block))
        request = gateway_pb2.ChaincodeEventsRequest(channel_id=p.channel, chaincode_id=chaincode or p.chaincode,
                                                     identity=self.identity.serialized(),
                                                     start_position=position).SerializeToString()
        signed = gateway_pb2.SignedChaincodeEventsRequest(request=request, signature=self.identity.sign(request))
        try:
            for response in self._stub.ChaincodeEvents(signed, timeout=timeout):
                for event in response.events:
                    yield ChaincodeEvent(int(response.block_number), event.tx_id, event.event_name,
                                         bytes(event.payload))
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return
            raise _error("chaincode events", exc) from None


def _proposal_result(envelope: common_pb2.Envelope) -> bytes:
    """The chaincode's return value, read back out of the endorsed transaction."""
    from fabric_protos.peer import proposal_response_pb2, transaction_pb2

    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    if not tx.actions:
        return b""
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload)
    cc_action = proposal_pb2.ChaincodeAction.FromString(prp.extension)
    return bytes(cc_action.response.payload)
