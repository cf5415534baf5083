"""Attachments (issue 14): photos and documents of a record, typed by their content, bounded in
size and pixels, located by their EXIF GPS, seen and changed exactly as their record is, shown to
the public only as metadata-free copies of validated records' photos, and written or rolled back
with the record in one transaction."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.routes.adjuntos import disposicion
from api.schemas.adjuntos import AdjuntoPublico, ListaAdjuntos
from geo.acceso.alcance import Alcance, fijar
from geo.formatos.imagenes import LIMITE_BYTES, examinar
from geo.plataforma.errors import ArchivoDemasiadoGrande
from geo.registro import adjuntos, casos
from tests.test_openapi import diferencias

YACUIBA = (-63.6770, -22.0150)  # municipality 060301, unit CHACO (Tarija)
TARIJA = (-64.7296, -21.5355)  # Cercado 060101, unit TJA
FOTO_YACUIBA = (-22.02, -63.68)  # lat, lon: in Yacuiba
FOTO_LA_PAZ = (-16.50, -68.13)  # in Nuestra Señora de La Paz, 020101
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"  # noqa: E501


# --- files made here, with Pillow ----------------------------------------------------------


def _dms(grados: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    g = int(grados)
    m = int((grados - g) * 60)
    s = (grados - g - m / 60) * 3600
    return IFDRational(g, 1), IFDRational(m, 1), IFDRational(round(s * 1000), 1000)


def _exif(gps: tuple[float, float] | None, orientacion: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Fabricante de prueba"  # Make
    exif[0x0131] = "Camara serie 12345"  # Software: metadata that must not leak
    if orientacion is not None:
        exif[0x0112] = orientacion
    if gps is not None:
        lat, lon = gps
        exif.get_ifd(0x8825).update(
            {1: "S" if lat < 0 else "N", 2: _dms(abs(lat)), 3: "W" if lon < 0 else "E",
             4: _dms(abs(lon))}
        )  # fmt: skip
    return exif


def jpeg(
    gps: tuple[float, float] | None = None, tamano=(800, 600), orientacion: int | None = None
) -> bytes:
    salida = io.BytesIO()
    Image.new("RGB", tamano, (180, 40, 40)).save(
        salida, "JPEG", exif=_exif(gps, orientacion), quality=90
    )
    return salida.getvalue()


def png() -> bytes:
    salida = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 90, 200, 128)).save(salida, "PNG")
    return salida.getvalue()


def heic(gps: tuple[float, float] | None) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    salida = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 160, 60)).save(salida, "HEIF", exif=_exif(gps).tobytes())
    return salida.getvalue()


def png_declarado(ancho: int, alto: int) -> bytes:
    """A PNG whose header declares ``ancho`` x ``alto`` pixels, with a few bytes of data: what
    a decompression bomb looks like before it is decoded."""

    def trozo(tipo: bytes, datos: bytes) -> bytes:
        return (
            struct.pack(">I", len(datos))
            + tipo
            + datos
            + struct.pack(">I", zlib.crc32(tipo + datos))
        )

    cabecera = struct.pack(">IIBBBBB", ancho, alto, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + trozo(b"IHDR", cabecera) + trozo(b"IDAT", zlib.compress(b"\0" * 64))
        + trozo(b"IEND", b"")
    )  # fmt: skip


# --- records ---------------------------------------------------------------------------------


def _alianza(c, codigo: str, punto=YACUIBA) -> int:
    r = c.post(
        "/api/v1/alianzas",
        json={
            "codigo": codigo, "nombre": f"Alianza {codigo}", "sector": "Apicultura", "modelo": 1,
            "financiamiento": "adicional", "familias": 20, "familias_mujeres": 8,
            "lon": punto[0], "lat": punto[1],
        },
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _paso(c, aid: int, accion: str, recurso: str = "alianzas"):
    etag = c.get(f"/api/v1/{recurso}/{aid}").headers["etag"]
    return c.post(
        f"/api/v1/{recurso}/{aid}/verificacion", json={"accion": accion}, headers={"If-Match": etag}
    )


def _validar(c, aid: int, recurso: str = "alianzas") -> None:
    """Verified by the unit (national coordination may), then validated."""
    for accion, estado in (("verificar", "verificado"), ("validar", "validado")):
        r = _paso(c, aid, accion, recurso)
        assert r.status_code == 200 and r.json()["estado"] == estado, r.text


def subir(c, url: str, datos: bytes, nombre: str = "foto.jpg", tipo: str = "image/jpeg"):
    return c.post(url, files={"archivo": (nombre, datos, tipo)})


def _filas(conn) -> int:
    return int(conn.execute(text("SELECT count(*) FROM adjunto")).scalar_one())


@pytest.fixture
def chaco(como):
    return como("unidad", "CHACO")


@pytest.fixture
def yacuiba(client) -> str:
    """The attachments URL of a registered (draft) alliance of Yacuiba, unit CHACO."""
    return f"/api/v1/alianzas/{_alianza(client, 'ADJ-1')}/adjuntos"


# --- typing, size and pixels ------------------------------------------------------------------


def test_a_photo_in_the_records_municipality_keeps_its_position_bytes_and_author(
    chaco, yacuiba, conn
):
    datos = jpeg(FOTO_YACUIBA)
    r = subir(chaco, yacuiba, datos, nombre="colmenas.jpeg")
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["nombre"], a["tipo"], a["bytes"]) == ("colmenas.jpeg", "image/jpeg", len(datos))
    assert a["sha256"] == hashlib.sha256(datos).hexdigest()
    assert (round(a["exif_lat"], 4), round(a["exif_lon"], 4)) == FOTO_YACUIBA
    assert a["exif_municipio"] == {"codigo": "060301", "nombre": "Yacuiba"}
    assert (a["fuera_de_municipio"], a["aviso"], a["creado_por"]) == (False, None, "unidad.chaco")
    assert a["url"] == f"{yacuiba}/{a['id']}" and a["miniatura_url"] == f"{a['url']}/miniatura"
    archivo = chaco.get(a["url"])
    assert archivo.status_code == 200, archivo.text
    assert archivo.content == datos
    assert archivo.headers["content-type"] == "image/jpeg"
    assert archivo.headers["x-content-type-options"] == "nosniff"
    assert archivo.headers["etag"] == f'"{a["sha256"]}"'
    assert archivo.headers["content-disposition"].startswith('inline; filename="colmenas.jpg"')
    assert "sandbox" in archivo.headers["content-security-policy"]
    igual = chaco.get(a["url"], headers={"If-None-Match": archivo.headers["etag"]})
    assert igual.status_code == 304 and igual.content == b""
    lista = chaco.get(yacuiba).json()
    assert lista["count"] == 1 and lista["data"][0] == a
    assert diferencias(ListaAdjuntos, lista) == []


def test_a_photo_taken_in_another_municipality_is_flagged_not_refused(chaco, yacuiba):
    r = subir(chaco, yacuiba, jpeg(FOTO_LA_PAZ))
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["exif_municipio"] == {"codigo": "020101", "nombre": "Nuestra Señora de La Paz"}
    assert a["fuera_de_municipio"] is True
    assert a["aviso"] == "Foto tomada fuera de Yacuiba (en Nuestra Señora de La Paz)"


def test_a_photo_with_a_position_outside_bolivia_is_flagged_without_a_municipality(chaco, yacuiba):
    a = subir(chaco, yacuiba, jpeg((48.8584, 2.2945))).json()  # Paris
    assert (a["exif_municipio"], a["fuera_de_municipio"]) == (None, True)
    assert a["aviso"] == "Foto tomada fuera de Yacuiba (fuera de Bolivia)"


def test_png_pdf_and_heic_are_typed_by_their_content_not_their_name(chaco, yacuiba):
    p = subir(chaco, yacuiba, png(), nombre="plano.jpg", tipo="image/jpeg").json()
    assert (p["tipo"], p["exif_lat"], p["fuera_de_municipio"], p["aviso"]) == (
        "image/png", None, None, None
    )  # fmt: skip
    descarga = chaco.get(p["url"])
    assert descarga.headers["content-type"] == "image/png"
    assert 'filename="plano.png"' in descarga.headers["content-disposition"]
    d = subir(chaco, yacuiba, PDF, nombre="convenio.png", tipo="image/png").json()
    assert (d["tipo"], d["miniatura_url"]) == ("application/pdf", None)
    documento = chaco.get(d["url"])
    assert documento.headers["content-type"] == "application/pdf" and documento.content == PDF
    assert documento.headers["content-disposition"].startswith(
        'attachment; filename="convenio.pdf"'
    )
    sin = chaco.get(f"{d['url']}/miniatura")
    assert sin.status_code == 404 and "PDF" in sin.json()["detail"]
    h = subir(chaco, yacuiba, heic(FOTO_YACUIBA), nombre="IMG_0001.HEIC", tipo="").json()
    assert (h["tipo"], h["exif_municipio"]["codigo"], h["fuera_de_municipio"]) == (
        "image/heic", "060301", False
    )  # fmt: skip
    miniatura = chaco.get(h["miniatura_url"])
    assert miniatura.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(miniatura.content)).format == "JPEG"


@pytest.mark.parametrize(
    "datos,parece",
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "ejecutable de Windows"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "programa ejecutable"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "PDF"),
    ],
    ids=["windows", "elf", "svg"],
)
def test_anything_but_a_photo_or_pdf_is_refused_with_415_naming_the_field(
    chaco, yacuiba, conn, datos, parece
):
    r = subir(chaco, yacuiba, datos, nombre="foto.jpg", tipo="image/jpeg")
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    problema = r.json()
    assert problema["campo"] == "archivo" and parece in problema["detail"]
    assert problema["type"] == "urn:sigg:problema:tipo-no-admitido"
    assert _filas(conn) == 0


def test_a_damaged_jpeg_is_refused_with_422(chaco, yacuiba, conn):
    cortado = jpeg(FOTO_YACUIBA)[:300]
    r = subir(chaco, yacuiba, cortado)
    assert r.status_code == 422 and r.json()["campo"] == "archivo"
    assert "dañado o incompleto" in r.json()["detail"] and _filas(conn) == 0


def test_a_file_over_20_mb_is_refused_with_413_by_its_length_or_by_what_arrives(
    chaco, yacuiba, conn
):
    grande = b"\xff\xd8\xff" + b"\0" * LIMITE_BYTES  # one past the limit; not read as an image
    r = subir(chaco, yacuiba, grande)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert "el límite es 20 MB" in r.json()["detail"] and r.json()["campo"] == "archivo"
    # Chunked: no Content-Length to go by, so the upload reads one byte past the limit.
    limite = "sigg-limite"
    inicio = (
        f'--{limite}\r\nContent-Disposition: form-data; name="archivo"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()

    def trozos() -> Iterator[bytes]:
        yield inicio
        for _ in range(21):
            yield b"\0" * (1024 * 1024)
        yield f"\r\n--{limite}--\r\n".encode()

    r = chaco.post(
        yacuiba,
        content=trozos(),
        headers={"content-type": f"multipart/form-data; boundary={limite}"},
    )
    assert r.status_code == 413 and "el límite es 20 MB" in r.json()["detail"]
    assert _filas(conn) == 0
    with pytest.raises(ArchivoDemasiadoGrande):
        examinar(b"%PDF-" + b"0" * LIMITE_BYTES)
    assert examinar(b"%PDF-" + b"0" * (LIMITE_BYTES - 5)).tipo == "application/pdf"


@pytest.mark.parametrize("ancho,alto", [(9000, 8000), (100_000, 100_000)])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(
    chaco, yacuiba, conn, ancho, alto
):
    bomba = png_declarado(ancho, alto)
    assert len(bomba) < 200  # a few bytes declaring 72 million or 10 billion pixels
    r = subir(chaco, yacuiba, bomba, nombre="mapa.png", tipo="image/png")
    assert r.status_code == 422 and r.json()["campo"] == "archivo"
    assert "el máximo es 64 millones de píxeles" in r.json()["detail"]
    assert _filas(conn) == 0


def test_the_thumbnail_is_an_upright_jpeg_without_any_metadata(chaco, yacuiba):
    # Orientation 6: the camera was turned; the sensor's 800 x 600 shows as 600 x 800.
    a = subir(chaco, yacuiba, jpeg(FOTO_YACUIBA, orientacion=6)).json()
    r = chaco.get(a["miniatura_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.headers["etag"] == f'"{a["sha256"]}-m"'
    miniatura = Image.open(io.BytesIO(r.content))
    assert (miniatura.format, miniatura.size) == ("JPEG", (240, 320))
    assert dict(miniatura.getexif()) == {} and "exif" not in miniatura.info
    assert b"Camara serie" not in r.content and b"Exif" not in r.content


def test_the_stored_name_loses_folders_and_the_header_cannot_be_broken(chaco, yacuiba):
    a = subir(chaco, yacuiba, jpeg(), nombre="../../fotos\\informe final ñandú.jpg").json()
    assert a["nombre"] == "informe final ñandú.jpg"
    cabecera = chaco.get(a["url"]).headers["content-disposition"]
    assert cabecera == (
        'inline; filename="informe final nandu.jpg"; '
        "filename*=UTF-8''informe%20final%20%C3%B1and%C3%BA.jpg"
    )
    # What a client could send raw: quotes, line ends, NUL; none reaches a header or the name.
    assert adjuntos.limpiar_nombre('a\\b/in"forme\r\n\x00\x85.pdf', "application/pdf") == (
        'in"forme.pdf'
    )
    assert adjuntos.limpiar_nombre(" \r\n ", "image/png") == "adjunto.png"
    assert disposicion('in"forme\r\n.pdf', en_linea=False) == (
        "attachment; filename=\"in_forme_.pdf\"; filename*=UTF-8''in%22forme%0D%0A.pdf"
    )


# --- who may see and change --------------------------------------------------------------------


def test_another_unit_gets_404_for_a_drafts_attachments_and_cannot_add_any(
    chaco, como, publico, yacuiba, conn
):
    a = subir(chaco, yacuiba, jpeg(FOTO_YACUIBA)).json()
    tarija = como("unidad", "TJA")
    assert tarija.get(yacuiba).status_code == 404
    assert tarija.get(a["url"]).status_code == 404
    assert tarija.get(a["miniatura_url"]).status_code == 404
    assert subir(tarija, yacuiba, jpeg()).status_code == 404
    assert tarija.delete(a["url"]).status_code == 404
    assert publico.get(yacuiba).status_code == 404 and publico.get(a["url"]).status_code == 404
    assert subir(publico, yacuiba, jpeg()).status_code == 401
    assert como("tecnico", "CHACO").get(yacuiba).json()["count"] == 1
    assert _filas(conn) == 1


def test_a_validated_record_locks_its_attachments_until_reopened(chaco, client, yacuiba, conn):
    a = subir(chaco, yacuiba, jpeg()).json()
    aid = int(yacuiba.split("/")[4])
    _validar(client, aid)
    for quien in (chaco, client):
        r = subir(quien, yacuiba, jpeg())
        assert r.status_code == 409 and "validada" in r.json()["detail"]
        assert quien.delete(a["url"]).status_code == 409
    assert _filas(conn) == 1
    # The database holds the lock whatever path writes (migration 0008's guard trigger).
    with pytest.raises(DBAPIError) as error, conn.begin_nested():
        conn.execute(text("DELETE FROM adjunto WHERE id = :i"), {"i": a["id"]})
    assert error.value.orig.sqlstate == "55000"


def test_a_technician_changes_attachments_of_drafts_only(como, client, yacuiba):
    tecnico = como("tecnico", "CHACO")
    assert subir(tecnico, yacuiba, jpeg()).status_code == 201
    aid = int(yacuiba.split("/")[4])
    paso = _paso(como("unidad", "CHACO"), aid, "verificar")
    assert paso.status_code == 200, paso.text
    r = subir(tecnico, yacuiba, jpeg())
    assert r.status_code == 403 and "borrador" in r.json()["detail"]


def test_the_database_refuses_a_unit_attaching_to_another_units_record(client, conn, yacuiba):
    aid = int(yacuiba.split("/")[4])
    fijar(conn, Alcance("unidad.tja", "unidad", "TJA"))
    with pytest.raises(DBAPIError) as error, conn.begin_nested():
        conn.execute(
            text(
                "INSERT INTO adjunto (recurso, registro_id, nombre, tipo, bytes, sha256, "
                "contenido, creado_por) VALUES ('alianza', :i, 'x.pdf', 'application/pdf', 5, "
                "'x', '%PDF-', 'unidad.tja')"
            ),
            {"i": aid},
        )
    assert error.value.orig.sqlstate == "42501"
    with pytest.raises(DBAPIError) as error, conn.begin_nested():
        conn.execute(
            text(
                "INSERT INTO adjunto (recurso, registro_id, nombre, tipo, bytes, sha256, "
                "contenido, creado_por) VALUES ('reclamo', 987654321, 'x.pdf', "
                "'application/pdf', 5, 'x', '%PDF-', 'x')"
            )
        )
    assert error.value.orig.sqlstate == "23503"  # no such complaint: no orphan attachment


def test_the_public_sees_validated_photos_as_metadata_free_copies_and_no_documents(
    chaco, client, publico, yacuiba
):
    original = jpeg(FOTO_LA_PAZ, tamano=(2400, 1800))
    foto = subir(chaco, yacuiba, original, nombre="Juan Pérez en su chaco.jpg").json()
    pdf = subir(chaco, yacuiba, PDF, nombre="convenio firmado.pdf").json()
    _validar(client, int(yacuiba.split("/")[4]))
    lista = publico.get(yacuiba)
    assert lista.status_code == 200
    [visto] = lista.json()["data"]
    assert visto == {
        "id": foto["id"],
        "nombre": f"foto-{foto['id']}.jpg",
        "tipo": "image/jpeg",
        "creado_en": foto["creado_en"],
        "url": foto["url"],
        "miniatura_url": foto["miniatura_url"],
    }
    assert diferencias(AdjuntoPublico, visto) == []
    copia = publico.get(foto["url"])
    assert copia.status_code == 200 and copia.headers["content-type"] == "image/jpeg"
    assert copia.content != original and copia.headers["etag"] != f'"{foto["sha256"]}"'
    assert copia.headers["cache-control"].startswith("public")
    assert "Authorization" in copia.headers["vary"]  # staff get the original at this URL
    imagen = Image.open(io.BytesIO(copia.content))
    assert imagen.size == (1600, 1200) and dict(imagen.getexif()) == {}
    assert b"Camara serie" not in copia.content
    assert 'filename="foto-' in copia.headers["content-disposition"]
    assert publico.get(foto["miniatura_url"]).status_code == 200
    assert publico.get(pdf["url"]).status_code == 404
    # Staff still get the original, with its position.
    assert chaco.get(foto["url"]).content == original
    assert chaco.get(yacuiba).json()["data"][0]["exif_municipio"]["codigo"] == "020101"


def test_deleting_removes_the_file_and_the_audit_trail_keeps_who_and_which(chaco, yacuiba, conn):
    a = subir(chaco, yacuiba, PDF, nombre="recibo.pdf").json()
    assert chaco.delete(a["url"]).status_code == 204
    assert chaco.get(a["url"]).status_code == 404
    assert chaco.get(yacuiba).json()["count"] == 0
    assert chaco.delete(a["url"]).status_code == 404
    pasos = conn.execute(
        text(
            "SELECT accion, usuario, coalesce(antes, despues) AS fila FROM auditoria "
            "WHERE tabla = 'adjunto' AND registro_id = :i ORDER BY id"
        ),
        {"i": a["id"]},
    ).all()
    assert [(p.accion, p.usuario) for p in pasos] == [
        ("alta", "unidad.chaco"),
        ("baja", "unidad.chaco"),
    ]
    assert pasos[1].fila["sha256"] == a["sha256"] and "contenido" not in pasos[1].fila


def test_uploading_changes_neither_the_records_version_nor_needs_if_match(client, chaco, yacuiba):
    aid = int(yacuiba.split("/")[4])
    antes = client.get(f"/api/v1/alianzas/{aid}").headers["etag"]
    assert subir(chaco, yacuiba, jpeg()).status_code == 201
    assert client.get(f"/api/v1/alianzas/{aid}").headers["etag"] == antes


# --- one transaction with the record -----------------------------------------------------------


def test_a_record_and_its_files_are_written_or_rolled_back_together(conn, settings):
    nacional = Alcance("nacional.bo", "nacional")
    datos = jpeg(FOTO_YACUIBA)
    with pytest.raises(RuntimeError), conn.begin_nested():
        alianza = casos.crear_alianza(
            conn,
            nacional,
            settings.programa,
            {"codigo": "ROLL-1", "nombre": "Alianza ROLL-1", "sector": "Apicultura",
             "modelo": 1, "financiamiento": "adicional", "familias": 5, "familias_mujeres": 2,
             "lon": YACUIBA[0], "lat": YACUIBA[1]},
            tolerancia_m=100,
        )  # fmt: skip
        clave = adjuntos.Clave("alianza", alianza["id"])
        adjuntos.subir(conn, nacional, clave, "a.jpg", datos)
        assert _filas(conn) == 1
        raise RuntimeError("a later step of the same transaction fails")
    assert _filas(conn) == 0
    assert conn.execute(text("SELECT count(*) FROM alianza WHERE codigo = 'ROLL-1'")).scalar() == 0


def test_deleting_a_draft_record_deletes_its_attachments(client, chaco, yacuiba, conn):
    subir(chaco, yacuiba, jpeg())
    otra = _alianza(client, "ADJ-2")
    subir(chaco, f"/api/v1/alianzas/{otra}/adjuntos", jpeg())
    aid = int(yacuiba.split("/")[4])
    etag = client.get(f"/api/v1/alianzas/{aid}").headers["etag"]
    assert client.delete(f"/api/v1/alianzas/{aid}", headers={"If-Match": etag}).status_code == 204
    quedan = conn.execute(text("SELECT registro_id FROM adjunto")).scalars().all()
    assert quedan == [otra]


# --- subprojects, complaints, monitoring --------------------------------------------------------


def test_a_subprojects_photos_follow_the_subproject(client, chaco, como):
    r = client.post(
        "/api/v1/subproyectos",
        json={"codigo": "FPS-ADJ", "nombre": "Riego", "tipo_obra": "riego", "familias": 10,
              "lon": YACUIBA[0], "lat": YACUIBA[1]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    url = f"/api/v1/subproyectos/{r.json()['id']}/adjuntos"
    a = subir(chaco, url, jpeg(FOTO_YACUIBA))
    assert a.status_code == 201 and a.json()["url"].startswith(url)
    assert como("unidad", "TJA").get(url).status_code == 404


def test_a_complaints_files_are_for_its_units_staff_until_it_is_answered(chaco, como, publico):
    r = chaco.post(
        "/api/v1/reclamos",
        json={"municipio_codigo": "060301", "asunto": "Pozo", "descripcion": "No hay agua",
              "canal": "presencial"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    url = f"/api/v1/reclamos/{rid}/adjuntos"
    assert subir(chaco, url, PDF, nombre="carta.pdf").status_code == 201
    assert como("unidad", "TJA").get(url).status_code == 404
    assert subir(como("unidad", "TJA"), url, PDF).status_code == 404
    assert publico.get(url).status_code == 401
    assert chaco.get(url).json()["count"] == 1
    respuesta = chaco.post(f"/api/v1/reclamos/{rid}/respuesta", json={"respuesta": "Reparado"})
    assert respuesta.status_code == 200, respuesta.text
    cerrado = subir(chaco, url, PDF)
    assert cerrado.status_code == 409 and "respondido" in cerrado.json()["detail"]


def test_a_monitoring_cycles_photos_go_on_after_validation(client, chaco, publico, yacuiba):
    aid = int(yacuiba.split("/")[4])
    ciclo = client.post(f"/api/v1/alianzas/{aid}/seguimientos", json={"ciclo": 1})
    assert ciclo.status_code == 201, ciclo.text
    _validar(client, aid)
    url = f"/api/v1/alianzas/{aid}/seguimientos/1/adjuntos"
    a = subir(chaco, url, jpeg(FOTO_YACUIBA))
    assert a.status_code == 201, a.text
    assert a.json()["url"] == f"{url}/{a.json()['id']}"
    assert chaco.get(url).json()["count"] == 1
    assert chaco.get(yacuiba).json()["count"] == 0  # the alliance's own are apart
    assert publico.get(url).status_code == 401
    sin_ciclo = subir(chaco, f"/api/v1/alianzas/{aid}/seguimientos/2/adjuntos", jpeg())
    assert sin_ciclo.status_code == 404 and sin_ciclo.json()["campo"] == "ciclo"
