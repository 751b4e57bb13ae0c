"""Everyday words, abbreviations, English glossary and filler words used to read citizens' questions.

Patterns are written in the diacritic-free form so that "dk", "đk" and "đăng kí" all match; expansions
are written with diacritics. `REPLACE` rules swap the words, `ADD` rules keep them and add synonyms.
"""

from __future__ import annotations

# Abbreviations and spelling variants: the words are replaced by the expansion.
REPLACE: dict[str, str] = {
    "dk": "đăng ký",
    "dki": "đăng ký",
    "đky": "đăng ký",
    "dky": "đăng ký",
    "dang ki": "đăng ký",
    "gks": "giấy khai sinh",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân căn cước",
    "cmt": "chứng minh nhân dân căn cước",
    "hk": "hộ khẩu",
    "xn": "xác nhận",
    "gcn": "giấy chứng nhận",
    "qsdd": "quyền sử dụng đất",
    "gpxd": "giấy phép xây dựng",
    "gplx": "giấy phép lái xe",
    "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội",
    "bhtn": "bảo hiểm thất nghiệp",
    "lltp": "lý lịch tư pháp",
    "hkd": "hộ kinh doanh",
    "ubnd": "ủy ban nhân dân",
    "tthc": "thủ tục hành chính",
    # abbreviations written in national procedure names
    "kcb": "khám chữa bệnh",
    "tnhh": "trách nhiệm hữu hạn",
    "mtv": "một thành viên",
    "htx": "hợp tác xã",
    "gtgt": "giá trị gia tăng",
    "tncn": "thu nhập cá nhân",
    "tndn": "thu nhập doanh nghiệp",
    "nhnn": "ngân hàng nhà nước",
    "kbnn": "kho bạc nhà nước",
    "tnld": "tai nạn lao động",
    "bhtnld": "bảo hiểm tai nạn lao động",
    "dncx": "doanh nghiệp chế xuất",
    "atvstp": "an toàn thực phẩm",
    "attp": "an toàn thực phẩm",
    "vsattp": "an toàn thực phẩm",
    "ko": "không",
    "k": "không",
    "j": "gì",
    "e": "em",
    "a": "anh",
    "dc": "được",
    "đc": "được",
    "ntn": "như thế nào",
    "bn": "bao nhiêu",
    "uy ban": "ủy ban",
    "cong an phuong": "công an",
    "giay to": "giấy tờ",
    "ho so": "hồ sơ",
    "bang lai": "giấy phép lái xe",
    "bang lai xe": "giấy phép lái xe",
    "driving licence": "giấy phép lái xe",
    "driving license": "giấy phép lái xe",
    "driver license": "giấy phép lái xe",
    "driver s license": "giấy phép lái xe",
}


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text."""
    return frozenset(text.split())


# Everyday words and synonyms: the words stay and the expansion is added.
ADD: dict[str, str] = {
    "so do": "giấy chứng nhận quyền sử dụng đất",
    "so hong": "giấy chứng nhận quyền sử dụng đất quyền sở hữu nhà ở",
    "bia do": "giấy chứng nhận quyền sử dụng đất",
    "nhap ho khau": "đăng ký thường trú",
    "nhap khau": "đăng ký thường trú",
    "chuyen khau": "đăng ký thường trú",
    "ho khau": "thường trú",
    "tach khau": "tách hộ",
    "cat khau": "xóa đăng ký thường trú",
    "lam lai": "cấp lại",
    "bi mat": "cấp lại",
    "lam mat": "cấp lại",
    "danh mat": "cấp lại",
    "lam moi": "cấp đổi",
    "doi moi": "cấp đổi",
    "cong chung": "chứng thực",
    "sao y": "chứng thực bản sao",
    "photo cong chung": "chứng thực bản sao",
    "cuoi": "kết hôn",
    "lay vo": "kết hôn",
    "lay chong": "kết hôn",
    "giay dang ky ket hon": "kết hôn",
    "doc than": "xác nhận tình trạng hôn nhân",
    "giay doc than": "xác nhận tình trạng hôn nhân",
    "sinh con": "khai sinh",
    "moi sinh": "khai sinh",
    "em be": "khai sinh trẻ em",
    "chet": "khai tử",
    "qua doi": "khai tử",
    "mai tang": "khai tử",
    "ma chay": "mai táng phí",
    "can cuoc": "căn cước công dân",
    "the can cuoc": "căn cước",
    "chung minh thu": "căn cước",
    "tam tru": "đăng ký tạm trú",
    "tam vang": "khai báo tạm vắng",
    "xay nha": "giấy phép xây dựng nhà ở",
    "sua nha": "giấy phép sửa chữa cải tạo nhà ở",
    "mo quan": "đăng ký hộ kinh doanh",
    "mo cua hang": "đăng ký hộ kinh doanh",
    "buon ban": "hộ kinh doanh",
    "ban hang": "hộ kinh doanh",
    "dong cua": "chấm dứt hoạt động",
    "nghi kinh doanh": "tạm ngừng chấm dứt hoạt động hộ kinh doanh",
    "ban ruou": "giấy phép bán lẻ rượu",
    "mo cong ty": "đăng ký doanh nghiệp thành lập",
    "lap cong ty": "đăng ký doanh nghiệp thành lập",
    "sang ten": "chuyển nhượng đăng ký biến động",
    "mua ban dat": "chuyển nhượng quyền sử dụng đất",
    "mua dat": "chuyển nhượng quyền sử dụng đất",
    "ban dat": "chuyển nhượng quyền sử dụng đất",
    "cho dat": "tặng cho quyền sử dụng đất",
    "cho tang": "tặng cho",
    "thua ke": "thừa kế",
    "tach thua": "tách thửa",
    "gop thua": "hợp thửa",
    "the chap": "đăng ký thế chấp",
    "vay ngan hang": "thế chấp",
    "tranh chap dat": "hòa giải tranh chấp đất đai",
    "ngheo": "hộ nghèo",
    "tro cap": "trợ cấp xã hội",
    "khuyet tat": "xác định mức độ khuyết tật",
    "mat viec": "trợ cấp thất nghiệp",
    "that nghiep": "trợ cấp thất nghiệp",
    "chuyen truong": "chuyển trường",
    "doi bang": "cấp đổi giấy phép lái xe",
    "bien so": "đăng ký xe",
    "dang ky xe": "đăng ký xe biển số",
    "xe may": "xe",
    "o to": "xe",
    "sang ten xe": "đăng ký sang tên xe",
    "ban xe": "sang tên xe",
    "mua xe": "đăng ký xe",
    "rut bhxh": "bảo hiểm xã hội một lần",
    "rut bao hiem": "bảo hiểm xã hội một lần",
    "xuat canh": "hộ chiếu",
    "di nuoc ngoai": "hộ chiếu",
    "nguoi nuoc ngoai": "có yếu tố nước ngoài",
    "nuoc ngoai": "có yếu tố nước ngoài",
    "viet kieu": "có yếu tố nước ngoài",
    "nguoi my": "có yếu tố nước ngoài",  # a foreign spouse or parent
    "nguoi nhat": "có yếu tố nước ngoài",
    "nguoi nhat ban": "có yếu tố nước ngoài",
    "nguoi han quoc": "có yếu tố nước ngoài",
    "nguoi trung quoc": "có yếu tố nước ngoài",
    "nguoi dai loan": "có yếu tố nước ngoài",
    "nguoi phap": "có yếu tố nước ngoài",
    "nguoi duc": "có yếu tố nước ngoài",
    "nguoi uc": "có yếu tố nước ngoài",
    "nguoi nga": "có yếu tố nước ngoài",
    "nguoi lao": "có yếu tố nước ngoài",
    "nguoi campuchia": "có yếu tố nước ngoài",
    "nguoi thai lan": "có yếu tố nước ngoài",
    "nguoi canada": "có yếu tố nước ngoài",
    "nguoi singapore": "có yếu tố nước ngoài",
    "nguoi malaysia": "có yếu tố nước ngoài",
    "quoc tich nuoc ngoai": "có yếu tố nước ngoài",
    "con nuoi": "nuôi con nuôi",
    "ho ten": "thay đổi cải chính",
    "doi ten": "thay đổi hộ tịch",
    "sai ten": "cải chính hộ tịch",
    "sua ten": "thay đổi cải chính hộ tịch",
    "ban sao": "bản sao trích lục",
    "ban sao giay khai sinh": "trích lục khai sinh bản sao",
    "di chuc": "di chúc",
    "chia tai san": "phân chia di sản",
    "ky ten": "chữ ký",
    "chu ky": "chứng thực chữ ký",
    "giam ho": "giám hộ",
    "phan anh": "kiến nghị",
    "khieu nai": "giải quyết khiếu nại",
    "to cao": "giải quyết tố cáo",
}

# English words and phrases mapped to the Vietnamese terms used in procedure names.
ENGLISH: dict[str, str] = {
    "birth": "khai sinh",
    "born": "khai sinh",
    "baby": "khai sinh",
    "newborn": "khai sinh",
    "birth certificate": "khai sinh",
    "death": "khai tử",
    "died": "khai tử",
    "passed away": "khai tử",
    "marriage": "kết hôn",
    "marry": "kết hôn",
    "married": "kết hôn",
    "wedding": "kết hôn",
    "single status": "xác nhận tình trạng hôn nhân",
    "marital status": "xác nhận tình trạng hôn nhân",
    "certificate of no impediment": "xác nhận tình trạng hôn nhân",
    "foreigner": "có yếu tố nước ngoài",
    "foreign": "có yếu tố nước ngoài",
    "paternity": "nhận cha mẹ con",
    "guardian": "giám hộ",
    "guardianship": "giám hộ",
    "adoption": "nuôi con nuôi",
    "extract": "trích lục",
    "copy": "bản sao",
    "certified copy": "chứng thực bản sao",
    "certify": "chứng thực",
    "certification": "chứng thực",
    "notarize": "chứng thực công chứng",
    "notarise": "chứng thực công chứng",
    "notary": "công chứng",
    "signature": "chữ ký",
    "contract": "hợp đồng",
    "will": "di chúc",
    "inheritance": "thừa kế di sản",
    "estate": "di sản",
    "id card": "căn cước",
    "identity card": "căn cước",
    "citizen id": "căn cước",
    "passport": "hộ chiếu",
    "criminal record": "lý lịch tư pháp",
    "police check": "lý lịch tư pháp",
    "permanent residence": "đăng ký thường trú",
    "household registration": "đăng ký thường trú",
    "residence": "cư trú",
    "temporary residence": "đăng ký tạm trú",
    "temporary absence": "khai báo tạm vắng",
    "land": "đất",
    "land use": "quyền sử dụng đất",
    "red book": "giấy chứng nhận quyền sử dụng đất",
    "title deed": "giấy chứng nhận quyền sử dụng đất",
    "land certificate": "giấy chứng nhận quyền sử dụng đất",
    "transfer": "chuyển nhượng",
    "gift": "tặng cho",
    "mortgage": "thế chấp",
    "dispute": "tranh chấp hòa giải",
    "building permit": "giấy phép xây dựng",
    "build": "xây dựng",
    "renovation": "sửa chữa cải tạo",
    "renovate": "sửa chữa cải tạo",
    "house": "nhà ở",
    "business": "hộ kinh doanh",
    "shop": "hộ kinh doanh",
    "household business": "hộ kinh doanh",
    "company": "doanh nghiệp",
    "food safety": "an toàn thực phẩm",
    "alcohol": "rượu",
    "liquor": "rượu",
    "allowance": "trợ cấp",
    "social allowance": "trợ cấp xã hội",
    "disability": "khuyết tật",
    "funeral": "mai táng phí",
    "poor household": "hộ nghèo",
    "unemployment": "trợ cấp thất nghiệp",
    "health insurance": "bảo hiểm y tế",
    "social insurance": "bảo hiểm xã hội",
    "school": "chuyển trường",
    "vehicle": "đăng ký xe",
    "motorbike": "xe",
    "car": "xe",
    "complaint": "khiếu nại",
    "denunciation": "tố cáo",
    "register": "đăng ký",
    "registration": "đăng ký",
    "renew": "cấp đổi",
    "renewal": "cấp đổi",
    "replace": "cấp lại",
    "replacement": "cấp lại",
    "lost": "cấp lại",
    "reissue": "cấp lại",
    "change": "thay đổi",
    "correct": "cải chính",
    "correction": "cải chính",
    "child": "trẻ em",
    "children": "trẻ em",
    "split": "tách",
}

# Words that carry no meaning for finding a procedure, with diacritics (removed before folding).
FILLER: frozenset[str] = _words(
    """
    tôi mình em anh chị bạn ông bà cô chú bác cháu ạ ơi nhé nha vậy thì là mà và với của cho muốn
    cần phải nên được bị có không chưa đã đang sẽ rồi hay hoặc nào gì đâu sao bao nhiêu thế làm như
    này kia đó ấy ở tại khi nếu để về theo từ trong các những hãy giúp hỏi xin biết ai vui lòng thủ
    tục hồ sơ giấy tờ gồm thế nào như thế nào bây giờ hiện nay nay muốn hướng dẫn cách việc thực
    hiện nộp đâu mất bao lâu ạ dạ vâng
    """
)

# Diacritic-free filler words, dropped from questions typed without marks unless they form a known
# phrase with a neighbour ("can cuoc" keeps "can"; "toi can" drops both).
FILLER_FOLDED: frozenset[str] = _words(
    """
    toi minh em ban ong ba co chu bac chau a oi nhe nha vay thi la ma va voi cua cho muon can phai
    nen duoc bi khong chua da dang se roi hay hoac nao gi dau sao bao nhieu the lam nhu nay kia do
    ay o tai khi neu de ve theo tu trong cac nhung hay giup hoi xin biet ai vui long thu tuc ho so
    giay huong dan cach viec thuc hien nop lau da vang
    """
)

# English stop words.
FILLER_EN: frozenset[str] = _words(
    """
    i me my we you your he she it they a an the to of for in on at by with and or is are was be do
    does did can could would should how what where when which who whom need want get have has
    please hello hi about this that there here from as if so my our
    """
)

# Words of a procedure name's opening that say it changes an existing paper or registration rather than
# creating it ("Cấp lại ...", "Gia hạn ...", "Hiệu đính ..."): a question that never says them is less
# likely about that procedure than about the procedure that issues the paper.
ACTION_MODIFIERS: tuple[str, ...] = (
    "lại", "đổi", "gia hạn", "điều chỉnh", "hiệu đính", "thu hồi", "chấm dứt", "dừng", "ngừng", "giải thể",
    "bổ sung", "cập nhật", "thay đổi", "hủy", "huỷ", "xóa", "xoá", "đính chính", "khôi phục",
)
# ... and words of a lost, damaged or expired paper, which a question about changing it says instead.
PAPER_TROUBLE: tuple[str, ...] = ("mất", "thất lạc", "hỏng", "rách", "hư", "nhòe", "hết hạn", "sai")

# Words anywhere in a procedure name that narrow it to a special case ("... có yếu tố nước ngoài", "... lưu
# động"): a question that neither says nor implies them is about the general procedure.
SPECIAL_CASES: tuple[str, ...] = (
    "nước ngoài", "biên giới", "lưu động", "cơ quan đại diện", "tạm thời", "khẩn cấp", "thí điểm", "đặc biệt",
)
