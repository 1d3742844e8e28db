"""Benchmark 1: personalised MIME messages built per second, on one core.

Compares Python's naive path (an EmailMessage per recipient, bodies filled and encoded
each time) with varcomms' MimeTemplate (skeleton built once, personal parts spliced in).
Both include the per-recipient work: signed tokens, headers, placeholders.

    uv run python benchmarks/bench_delivery_mime.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import html
import tempfile
import time
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

from bench_delivery_common import context, recipients, sample_variant

from varcomms.delivery.personalise import Personaliser, fill, recipient_key
from varcomms.delivery.send import prepare_variant
from varcomms.models import Recipient
from varcomms.tokens import TokenSigner


def run(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = context(Path(tmp))
        rendered = sample_variant()
        print(
            f"variant: {len(rendered.html.encode()) / 1024:.0f} KB HTML, "
            f"{len(rendered.text.encode()) / 1024:.0f} KB text"
        )
        personaliser = Personaliser(ctx.config, TokenSigner.from_secrets(ctx.secrets), "2022-02")
        variant = prepare_variant(ctx, rendered, send_id="bench", is_test=False)

        def naive(recipient: Recipient) -> bytes:
            message = personaliser.message(recipient, recipient_key(recipient.email), "algemeen")
            email = EmailMessage()
            email["From"] = formataddr((variant.from_name, variant.from_address))
            email["To"] = message.to_header
            email["Subject"] = variant.subject
            email["Message-ID"] = message.message_id
            for name, value in [*variant.headers, *message.headers]:
                email[name] = value
            escaped = {k: html.escape(v) for k, v in message.values.items()}
            email.set_content(fill(rendered.text, message.values))
            email.add_alternative(fill(rendered.html, escaped), subtype="html")
            return email.as_bytes()

        def fast(recipient: Recipient) -> bytes:
            message = personaliser.message(recipient, recipient_key(recipient.email), "algemeen")
            return variant.mime.render(
                to_header=message.to_header,
                message_id=message.message_id,
                personal_headers=message.headers,
                values=message.values,
            )

        results = {}
        for label, build in (("naive EmailMessage", naive), ("MimeTemplate", fast)):
            count, size = 0, 0
            start = time.perf_counter()
            for recipient in recipients(10**9):
                size += len(build(recipient))
                count += 1
                if count % 50 == 0 and time.perf_counter() - start > seconds:
                    break
            elapsed = time.perf_counter() - start
            results[label] = count / elapsed
            print(
                f"{label:20s} {count / elapsed:9.0f} messages/s  "
                f"(avg {size / count / 1024:.0f} KB per message)"
            )
        ratio = results["MimeTemplate"] / results["naive EmailMessage"]
        print(f"speed-up: {ratio:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    run(parser.parse_args().seconds)
