"""The certificate as a one-page pt-BR PDF (A4 landscape): name, course, hours, result band,
date, and the verification code with a QR code to its public page."""

from __future__ import annotations

import io

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as pdf_canvas

from portal.certificates.models import Certificate
from portal.reports.pdf import FONT, FONT_BOLD, register_fonts

INK = colors.HexColor("#1a1f29")
MUTED = colors.HexColor("#5b6676")
BRAND = colors.HexColor("#1f5eff")
QR_SIZE = 3.6 * cm


def verification_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("certificates:verify", args=[certificate.code])


def _qr(canvas: pdf_canvas.Canvas, url: str, x: float, y: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0],
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _centred(canvas: pdf_canvas.Canvas, text: str, font: str, size: float, y: float) -> None:
    """``text`` centred at ``y``, its font shrunk until it fits inside the border."""
    page_width = canvas._pagesize[0]
    room = page_width - 5 * cm
    while size > 8 and pdfmetrics.stringWidth(text, font, size) > room:
        size -= 0.5
    canvas.setFont(font, size)
    canvas.drawCentredString(page_width / 2, y, text)


def certificate_pdf(certificate: Certificate) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = pdf_canvas.Canvas(buffer, pagesize=(width, height))
    canvas.setTitle(_("Certificado — %(course)s") % {"course": certificate.course_title})
    canvas.setAuthor(_("Portal MLE"))
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(3)
    canvas.rect(1.2 * cm, 1.2 * cm, width - 2.4 * cm, height - 2.4 * cm)
    center = width / 2
    canvas.setFillColor(BRAND)
    canvas.setFont(FONT_BOLD, 34)
    canvas.drawCentredString(center, height - 4.2 * cm, _("Certificado"))
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 15)
    canvas.drawCentredString(center, height - 6.0 * cm, _("Certificamos que"))
    _centred(canvas, certificate.name, FONT_BOLD, 26, height - 7.6 * cm)
    _centred(
        canvas,
        _("concluiu o curso %(course)s, com carga horária de %(hours)s horas.")
        % {"course": certificate.course_title, "hours": certificate.hours},
        FONT,
        15,
        height - 9.2 * cm,
    )
    _centred(canvas, certificate.get_band_display(), FONT_BOLD, 16, height - 10.6 * cm)
    issued = timezone.localtime(certificate.issued_at)
    canvas.setFont(FONT, 13)
    canvas.drawCentredString(
        center,
        height - 12.2 * cm,
        _("Emitido em %(date)s.") % {"date": formats.date_format(issued, "DATE_FORMAT")},
    )
    url = verification_url(certificate)
    _qr(canvas, url, width - 2.2 * cm - QR_SIZE, 2.0 * cm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 10)
    canvas.drawString(
        2.2 * cm, 3.2 * cm, _("Código de verificação: %(code)s") % {"code": certificate.code}
    )
    canvas.drawString(2.2 * cm, 2.6 * cm, _("Confira a validade em %(url)s") % {"url": url})
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
