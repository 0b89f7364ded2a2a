"""An inline SVG of documents posted and refused per minute, drawn on the server: no script, no image request."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from ledgerflow.console.health import Minute

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 600, 160, 34, 20, 10


def activity_svg(minutes: Sequence[Minute]) -> Markup:
    """Stacked bars, posted (green) under failed (red); every value drawn is a number we computed."""
    peak = max([m.posted + m.failed for m in minutes] + [1])
    slot = (WIDTH - LEFT) / max(len(minutes), 1)
    usable = HEIGHT - BOTTOM - TOP
    parts = [
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Documents posted and failed per minute, last {len(minutes)} minutes">',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" class="tick">{peak}</text>',
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" text-anchor="end" class="tick">0</text>',
    ]
    for index, minute in enumerate(minutes):
        x = LEFT + index * slot
        posted = usable * minute.posted / peak
        failed = usable * minute.failed / peak
        base = HEIGHT - BOTTOM
        title = f"{minute.at:%H:%M} UTC: {minute.posted} posted, {minute.failed} failed"
        parts.append(f"<g><title>{title}</title>")
        if minute.posted:
            parts.append(f'<rect class="posted" x="{x:.1f}" y="{base - posted:.1f}" width="{slot * 0.8:.1f}" '
                         f'height="{posted:.1f}"/>')  # fmt: skip
        if minute.failed:
            parts.append(f'<rect class="failed" x="{x:.1f}" y="{base - posted - failed:.1f}" '
                         f'width="{slot * 0.8:.1f}" height="{failed:.1f}"/>')  # fmt: skip
        parts.append("</g>")
        if index % 15 == 0:
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 4}" class="tick">{minute.at:%H:%M}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built from numbers and times only)
