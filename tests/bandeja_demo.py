"""A realistic verification backlog on the demo data, for the tray and the staff figures: new
alliances in every operational unit, each placed on a point of an existing alliance of that
unit, moved through the verification by the same use cases the API calls. National
coordination finds ~105 verified records waiting (some corrected after its own observation,
so that they carry changes since it last looked), the Chaco unit finds registered ones (some
edited after it verified them) and the Chaco técnico finds observed ones. ``retirar`` takes
them all away again, so that the demo's published figures are what they were."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo.acceso.alcance import Alcance, fijar
from geo.registro.casos import crear_alianza, modificar_alianza
from geo.registro.verificacion import mover

PREFIJO = "REV-"
NACIONAL = Alcance("nacional.bo", "nacional", None)


def _unidad(uo: str) -> Alcance:
    return Alcance(f"unidad.{uo.lower()}", "unidad", uo)


def _tecnico(uo: str) -> Alcance:
    return Alcance(f"tecnico.{uo.lower()}", "tecnico", uo)


def _version(conn: Connection, aid: int) -> str:
    version = conn.execute(text("SELECT version FROM alianza WHERE id = :i"), {"i": aid})
    return f'"{version.scalar_one()}"'


def _paso(
    conn: Connection, quien: Alcance, aid: int, accion: str, comentario: str | None = None
) -> None:
    mover(conn, quien, "alianza", aid, accion, comentario, _version(conn, aid))


def _cambiar(conn: Connection, quien: Alcance, aid: int, **cambios: Any) -> None:
    modificar_alianza(conn, quien, aid, cambios, if_match=_version(conn, aid), tolerancia_m=100)


def _puntos(conn: Connection) -> list[tuple[str, float, float, int]]:
    """One point per existing alliance with a signed agreement (unit, lon, lat, row number
    within its unit), precise points only, a few per unit."""
    return [
        tuple(f)  # type: ignore[misc]
        for f in conn.execute(
            text(
                "SELECT uo, lon, lat, n FROM (SELECT m.unidad_operativa_codigo AS uo, "
                "ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, row_number() OVER "
                "(PARTITION BY m.unidad_operativa_codigo ORDER BY a.id) AS n FROM alianza a "
                "JOIN municipio m ON m.cartografia = a.cartografia "
                "AND m.codigo = a.municipio_codigo "
                "WHERE a.etapa_alcanzada >= 6 AND a.precision_ubicacion = 1) x WHERE n <= 14 "
                "ORDER BY uo, n"
            )
        ).all()
    ]


def sembrar(conn: Connection) -> dict[str, list[str]]:
    """Create the backlog in ``conn``'s transaction (the caller commits); codes by tray."""
    bandejas: dict[str, list[str]] = {"nacional": [], "chaco": [], "tecnico.chaco": []}
    for i, (uo, lon, lat, n) in enumerate(_puntos(conn)):
        if uo != "CHACO" and n > 11:
            continue
        codigo = f"{PREFIJO}{uo}-{n:03d}"
        tecnico = _tecnico(uo)
        familias = 20 + (i * 7) % 90
        a = crear_alianza(
            conn, tecnico, "PAR2",
            {"codigo": codigo, "nombre": f"Alianza en revisión {uo} {n}", "sector": "apicultura",
             "modelo": 1, "financiamiento": "inicial", "etapa": "convenio_firmado",
             "fecha_etapa": "2023-05-10", "fecha_solicitud": "2022-03-01", "familias": familias,
             "familias_mujeres": familias // 3, "monto_par_comprometido_bs": 350000,
             "lon": lon, "lat": lat, "precision_ubicacion": 1},
            tolerancia_m=100,
        )  # fmt: skip
        aid = a["id"]
        if uo == "CHACO" and n > 10:  # registered, waiting for the unit
            if n % 2:
                _paso(conn, _unidad(uo), aid, "verificar", "Revisado en campo")
                _cambiar(conn, _unidad(uo), aid, familias=familias + 15)
            bandejas["chaco"].append(codigo)
            continue
        if uo == "CHACO" and n in (9, 10):  # observed: back to the técnico
            _paso(conn, _unidad(uo), aid, "observar", "Falta el acta de conformación")
            bandejas["tecnico.chaco"].append(codigo)
            continue
        _paso(conn, _unidad(uo), aid, "verificar", f"Verificado por la unidad {uo}")
        if n % 4 == 0:  # observed by national, corrected, verified again
            _paso(conn, NACIONAL, aid, "observar", "Las familias no cuadran con el acta")
            _cambiar(conn, tecnico, aid, familias=familias + 5, familias_mujeres=familias // 2)
            _paso(conn, _unidad(uo), aid, "verificar", "Corregido según el acta")
        bandejas["nacional"].append(codigo)
    return bandejas


def retirar(conn: Connection) -> int:
    """Delete the backlog (reopening what a test validated: a validated record is locked)."""
    validadas = conn.execute(
        text("SELECT id FROM alianza WHERE codigo LIKE :p AND estado = 'validado'"),
        {"p": PREFIJO + "%"},
    ).scalars()
    for aid in list(validadas):
        _paso(conn, NACIONAL, aid, "reabrir", "fin de la prueba")
    fijar(conn, NACIONAL)
    return conn.execute(
        text("DELETE FROM alianza WHERE codigo LIKE :p"), {"p": PREFIJO + "%"}
    ).rowcount
