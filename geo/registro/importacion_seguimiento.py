"""Bulk import of monitoring visits, one productive cycle of an alliance per row: the export of
the field form (formularios/visita_seguimiento.xlsx, from KoboToolbox or ODK Central), or any
sheet with its columns. As the alliance import (geo/registro/importacion.py): all or nothing,
the report names every bad row, its column and the reason, and re-importing the same export
changes nothing: a cycle is written by alliance + cycle, only where a value differs (the API's
``crear_seguimiento`` refuses a cycle the alliance has; an export is sent again as it grows).

An alliance is found by its code in the program. Who may write its monitoring is who may
through the API: national coordination or the staff of the alliance's unit; monitoring goes on
after validation, so a validated alliance takes it too.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, bindparam, insert, select, text, tuple_, update

from geo.acceso.alcance import Alcance, exigir_personal, fijar
from geo.formatos import kobo
from geo.formatos.lectura import Fila, Tabla, normalizar_encabezado, parse_decimal, parse_fecha
from geo.registro.alianzas import ErrorFila, Programa
from geo.registro.esquemas import errores_de
from geo.registro.formularios_campo import GRUPOS, PREGUNTAS_SEGUIMIENTO
from geo.registro.importacion import (
    FOTOS,
    ArchivoSinFilas,
    Informe,
    fila_del_informe,
    sin_filas,
)
from geo.registro.organizaciones import S, SeguimientoEntrada, con_ingreso
from geo.vocabulario.catalogos import CAMPOS_SEGUIMIENTO, clave

# Field -> the header names (normalised) it may come under: the form's name, its label.
ALIAS: dict[str, tuple[str, ...]] = {
    "codigo": (
        "codigo_alianza",
        normalizar_encabezado(CAMPOS_SEGUIMIENTO["codigo_alianza"]),
        "codigo",
        "cod_alianza",
        "id_alianza",
    ),
    **{c: (c, normalizar_encabezado(CAMPOS_SEGUIMIENTO[c])) for c in PREGUNTAS_SEGUIMIENTO},
}
ENTEROS = ("ciclo",)
DECIMALES = ("volumen_vendido", "precio_bs", "ventas_bs", "costos_bs", "ingreso_bs")
LOGICOS = ("relacion_comercial_mantenida", "medidas_ambientales")
_SI = frozenset({"si", "s", "yes", "true", "verdadero", "1"})
_NO = frozenset({"no", "n", "false", "falso", "0"})

CAMPOS = tuple(SeguimientoEntrada.model_fields)
Entrada = tuple[int, str, SeguimientoEntrada]  # (row, alliance code, the cycle)


def importar_seguimientos(
    conn: Connection,
    prog: Programa,
    tabla: Tabla,
    *,
    archivo: str,
    simulacro: bool = False,
    usuario: str = "importacion",
    alcance: Alcance | None = None,
) -> Informe:
    """Import ``tabla`` (see the module's docstring); ``alcance`` None is a trusted caller
    (the command line), named ``usuario`` in the audit trail."""
    if not tabla.filas:
        raise ArchivoSinFilas(sin_filas(tabla))
    if alcance is not None:
        exigir_personal(alcance)
    informe = Informe(
        archivo=archivo, programa=prog.codigo, simulacro=simulacro, filas=len(tabla.filas)
    )
    tabla = kobo.sin_grupos(tabla, GRUPOS)
    mapa = _mapa(tabla.columnas, informe)
    entradas, errores = _leer(tabla, mapa, informe)
    alianzas = _alianzas(conn, prog, {codigo for _, codigo, _ in entradas})
    entradas, errores_alianza = _de_alianzas_conocidas(entradas, alianzas, alcance)
    errores += errores_alianza
    with conn.begin_nested() as punto:
        fijar(conn, alcance or Alcance(usuario))
        if errores:
            celdas = {f.numero: f.valores for f in tabla.filas}
            informe.errores = [
                fila_del_informe(e, mapa, celdas.get(e.fila or 0, {}))
                for e in sorted(errores, key=lambda e: (e.fila or 0, e.campo))
            ]
            punto.rollback()
            return informe
        _escribir(conn, [(alianzas[c][0], e) for _, c, e in entradas], informe)
        if simulacro:
            punto.rollback()
    informe.escrito = not simulacro
    return informe


def _mapa(columnas: list[str], informe: Informe) -> dict[str, str]:
    mapa = {
        campo: hallada
        for campo, alias in ALIAS.items()
        if (hallada := next((c for c in alias if c in columnas), None))
    }
    usadas = set(mapa.values())
    sobrantes = [
        c
        for c in columnas
        if c not in usadas and not c.startswith("_") and not kobo.es_de_kobo(c, FOTOS)
    ]
    if sobrantes:
        informe.avisos.append(f"columnas no usadas: {', '.join(sobrantes)}")
    return mapa


def _leer(
    tabla: Tabla, mapa: dict[str, str], informe: Informe
) -> tuple[list[Entrada], list[ErrorFila]]:
    """Each row as a cycle, or its errors; a cycle given twice for one alliance is an error of
    the later row. The files each row names are noted in ``informe``."""
    entradas: list[Entrada] = []
    errores: list[ErrorFila] = []
    vistas: dict[tuple[str, int], int] = {}
    for f in tabla.filas:
        codigo, entrada, errs = _fila(f, mapa)
        errores += [ErrorFila(f.numero, c, m, codigo) for c, m in errs.items()]
        if nombres := kobo.archivos(f.valores, FOTOS):
            informe.adjuntos.append({"fila": f.numero, "codigo": codigo, "archivos": nombres})
        if entrada is None or codigo is None:
            continue
        if (antes := vistas.setdefault((codigo, entrada.ciclo), f.numero)) != f.numero:
            mensaje = f"el ciclo {entrada.ciclo} de la alianza {codigo} ya está en la fila {antes}"
            errores.append(ErrorFila(f.numero, "ciclo", mensaje, codigo))
            continue
        entradas.append((f.numero, codigo, entrada))
    informe.anotar_adjuntos()
    return entradas, errores


def _fila(
    f: Fila, mapa: dict[str, str]
) -> tuple[str | None, SeguimientoEntrada | None, dict[str, str]]:
    """(alliance code, the cycle, errors by field) of one row."""
    codigo = (f.valores.get(mapa.get("codigo", "")) or "").strip() or None
    errores = {} if codigo else {"codigo": "falta el código de la alianza"}
    datos: dict[str, Any] = {}
    for campo, columna in mapa.items():
        texto = f.valores.get(columna)
        if campo == "codigo" or texto is None:
            continue
        try:
            datos[campo] = _valor(campo, texto)
        except ValueError as exc:
            errores[campo] = str(exc)
    if errores:
        return codigo, None, errores
    try:
        return codigo, SeguimientoEntrada.model_validate(datos), {}
    except ValidationError as exc:
        return codigo, None, errores_de(exc)


def _valor(campo: str, texto: str) -> Any:
    if campo == "fecha":
        return parse_fecha(texto)
    if campo in LOGICOS:
        return _si_no(texto)
    if campo in ENTEROS or campo in DECIMALES:
        numero = parse_decimal(texto)
        if campo in ENTEROS and numero is not None:
            if numero != numero.to_integral_value():
                raise ValueError(f"debe ser un número entero: '{texto}'")
            return int(numero)
        return numero
    return texto


def _si_no(texto: str) -> bool | None:
    """Yes or no as the form's codes ("si", "no"), its labels ("Sí", "No") or true/false."""
    k = clave(texto)
    if k in _SI or k in _NO:
        return k in _SI
    raise ValueError(f"debe ser sí o no: '{texto}'")


def _alianzas(conn: Connection, prog: Programa, codigos: set[str]) -> dict[str, tuple[int, str]]:
    """Code -> (id, operational unit) of the program's alliances among ``codigos``."""
    filas = conn.execute(
        text(
            "SELECT a.codigo, a.id, m.unidad_operativa_codigo FROM alianza a "
            "JOIN municipio m ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
            "WHERE a.programa_id = :p AND a.codigo = ANY(:c)"
        ),
        {"p": prog.id, "c": sorted(codigos)},
    ).all()
    return {codigo: (int(i), unidad) for codigo, i, unidad in filas}


def _de_alianzas_conocidas(
    entradas: list[Entrada], alianzas: dict[str, tuple[int, str]], alcance: Alcance | None
) -> tuple[list[Entrada], list[ErrorFila]]:
    """The rows of alliances the program has and the caller may write; errors for the rest."""
    validas: list[Entrada] = []
    errores: list[ErrorFila] = []
    for fila, codigo, e in entradas:
        if codigo not in alianzas:
            mensaje = f"no hay una alianza con el código {codigo} en este programa"
        elif alcance and not alcance.nacional and alianzas[codigo][1] != alcance.unidad:
            unidad = alianzas[codigo][1]
            mensaje = f"la alianza {codigo} es de la unidad {unidad}; su unidad es {alcance.unidad}"
        else:
            validas.append((fila, codigo, e))
            continue
        errores.append(ErrorFila(fila, "codigo", mensaje, codigo))
    return validas, errores


def _escribir(
    conn: Connection, ciclos: list[tuple[int, SeguimientoEntrada]], informe: Informe
) -> None:
    """Insert the new cycles and update those that differ, one statement each (executemany)."""
    claves = [(alianza_id, e.ciclo) for alianza_id, e in ciclos]
    actuales = {
        (f.alianza_id, f.ciclo): f._mapping
        for f in conn.execute(select(S).where(tuple_(S.c.alianza_id, S.c.ciclo).in_(claves)))
    }
    nuevas: list[dict[str, Any]] = []
    cambiadas: list[dict[str, Any]] = []
    for alianza_id, e in ciclos:
        datos = {"alianza_id": alianza_id, **con_ingreso(e)}
        actual = actuales.get((alianza_id, e.ciclo))
        if actual is None:
            nuevas.append(datos)
        elif any(actual[k] != v for k, v in datos.items()):
            cambiadas.append({"_id": actual["id"], **{f"v_{k}": datos[k] for k in CAMPOS}})
        else:
            informe.sin_cambios += 1
    if nuevas:
        conn.execute(insert(S), nuevas)
    if cambiadas:
        # Bound names of their own: SQLAlchemy keeps a column's name for its own parameter.
        campos: dict[str, Any] = {k: bindparam(f"v_{k}") for k in CAMPOS}
        conn.execute(update(S).where(S.c.id == bindparam("_id")).values(**campos), cambiadas)
    informe.insertadas, informe.actualizadas = len(nuevas), len(cambiadas)
