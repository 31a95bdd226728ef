import io

from pypdf import PdfReader

from postgov.lib.pdf import Form, vnd


def test_vietnamese_text_survives_into_the_pdf():
    form = Form(title="Phiếu gửi hồ sơ")
    form.heading("PHIẾU GỬI HỒ SƠ QUA DỊCH VỤ BƯU CHÍNH CÔNG ÍCH")
    form.field("Họ và tên:", "Nguyễn Thị Ánh Tuyết")
    form.field("Thủ tục:", "Đăng ký khai sinh — cấp bản sao trích lục")
    form.code128("HC000000015VN", 10, form.get_y() + 2, 80, 12)
    form.qr("http://127.0.0.1:8000/track/?code=HC000000015VN", 100, 60, 30)
    form.set_y(90)
    form.signature_boxes("Người gửi", "Nhân viên bưu điện")
    data = form.render()
    assert data.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for expected in ["PHIẾU GỬI HỒ SƠ", "Nguyễn Thị Ánh Tuyết", "Đăng ký khai sinh", "Người gửi"]:
        assert expected in text


def test_vnd_groups_thousands_with_dots():
    assert vnd(26000) == "26.000 ₫"
    assert vnd(1234567) == "1.234.567 ₫"
    assert vnd(0) == "0 ₫"
