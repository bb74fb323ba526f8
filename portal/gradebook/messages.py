"""Every message of the spreadsheet import, by stable id (most name the cell they are about)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue

MESSAGES = Catalogue(
    {
        "sheet.not_xlsx": _(
            "o arquivo não é uma planilha .xlsx (no Excel: Salvar como > Pasta de "
            "Trabalho do Excel)"
        ),
        "sheet.too_big": _("o arquivo passa de %(mb)d MB"),
        "sheet.unzipped_too_big": _(
            "a planilha descompactada passa de %(size)s, muito mais do que as notas desta "
            "entrega ocupam; exporte a planilha de novo e edite essa"
        ),
        "sheet.compressed_too_much": _(
            "uma parte da planilha cresce mais de %(ratio)s vezes ao ser descompactada, o que "
            "uma planilha de notas não faz; exporte a planilha de novo e edite essa"
        ),
        "sheet.too_many_rows": _(
            "a aba “%(sheet)s” passa de %(max)s linhas, muito mais do que os alunos desta "
            "entrega ocupam; apague as linhas a mais ou exporte a planilha de novo"
        ),
        "sheet.too_many_columns": _(
            "a aba “%(sheet)s” passa de %(max)s colunas, muito mais do que a planilha desta "
            "entrega tem; apague as colunas a mais ou exporte a planilha de novo"
        ),
        "sheet.not_ours": _(
            "esta planilha não foi exportada por este portal (falta a aba de "
            "controle); exporte a planilha da entrega e edite essa"
        ),
        "sheet.course_workbook": _(
            "esta é a planilha do curso inteiro, só para leitura; importe a planilha de uma entrega"
        ),
        "sheet.other_assignment": _(
            "esta planilha é de outra entrega (“%(other)s”, curso "
            "%(course)s); exporte a planilha de “%(this)s”"
        ),
        "sheet.rubric_changed": _(
            "a rubrica desta entrega mudou depois da exportação (critérios "
            "ou pontos máximos); exporte a planilha de novo"
        ),
        "sheet.no_grades_sheet": _("falta a aba “%(sheet)s” com as notas"),
        "sheet.empty_value": _("vazio"),
        "sheet.duplicate_column": _("%(cell)s: a coluna “%(h)s” aparece duas vezes"),
        "sheet.unknown_criterion": _("%(cell)s: “%(h)s” não é um critério desta entrega"),
        "sheet.unknown_column": _("%(cell)s: coluna desconhecida “%(h)s”"),
        "sheet.missing_column": _("linha 1: falta a coluna “%(h)s”"),
        "sheet.unknown_student": _("%(cell)s: o aluno %(id)s não está nesta turma"),
        "sheet.unknown_email": _("%(cell)s: o e-mail %(email)s não está nesta turma"),
        "sheet.not_graded": _(
            "%(cell)s: %(name)s não tem nota corrigida em “%(title)s” para alterar"
        ),
        "sheet.not_a_number": _("%(cell)s: %(value)s não é um número (pontos de “%(title)s”)"),
        "sheet.negative": _("%(cell)s: %(value)s é negativo (pontos de “%(title)s”)"),
        "sheet.above_max": _("%(cell)s: %(value)s passa do máximo de %(max)s de “%(title)s”"),
        "sheet.points_erased": _(
            "%(cell)s: os pontos de “%(title)s” foram apagados; para zerar, escreva 0"
        ),
        "sheet.justification_erased": _(
            "%(cell)s: a justificativa de “%(title)s” ficou vazia; "
            "toda nota precisa de uma justificativa"
        ),
        "sheet.duplicate_row": _(
            "linha %(n)d: %(name)s aparece de novo (já está na linha %(first)d)"
        ),
        "sheet.locked_column": _(
            "%(cell)s: a coluna “%(h)s” não pode ser alterada (era %(was)s, está %(now)s)"
        ),
        "sheet.stale": _(
            "as notas desta entrega mudaram depois da prévia; envie a planilha de "
            "novo para ver as alterações atuais"
        ),
        "sheet.cell_refused": _("%(cell)s: %(error)s"),
        "sheet.history_reason": _("Importação da planilha: %(name)s"),
    }
)
