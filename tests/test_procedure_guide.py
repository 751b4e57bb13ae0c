"""The procedure guide in the conversation, driven through the real dispatcher."""

import pytest
from sqlalchemy.engine import Engine

from bot.settings import Settings
from handlers.dispatcher import Dispatcher
from handlers.procedure_guide import MAX_DATA_BYTES
from knowledge import Matcher, load_knowledge_base
from tests.chat_driver import Chat
from tests.kb_helpers import FIXTURE_KB


@pytest.fixture
def guide(sqlite_engine: Engine, settings: Settings) -> Dispatcher:
    kb = load_knowledge_base(FIXTURE_KB)
    return Dispatcher(sqlite_engine, settings, kb, Matcher(kb, semantic=False))


@pytest.fixture
def person(guide: Dispatcher) -> Chat:
    return Chat(guide, "citizen-9", user_name="Hoa")


@pytest.fixture
def officer(guide: Dispatcher) -> Chat:
    return Chat(guide, "admin", chat_id="staff", is_group=True, user_name="Cán bộ")


def all_data(chat: Chat) -> list[str]:
    return [b.data for m in chat.last for row in m.buttons for b in row]


def test_confident_question_gets_a_card_with_where_whom_what_how_long_and_how_much(person):
    person.say("dang ky khai sinh cho con o dau")
    text = person.text
    assert "Đăng ký khai sinh" in text
    assert "Bộ phận Một cửa UBND phường Thử Nghiệm" in text
    assert "Số 1 Đường Thử" in text
    assert "Thứ Hai - Thứ Sáu, 8h00-17h00" in text
    assert "Giấy chứng sinh" in text
    assert "Miễn phí nếu đăng ký đúng hạn" in text
    assert "https://dichvucong.gov.vn/khai-sinh" in text
    assert "bưu điện" in text


def test_uncertain_facts_are_flagged_on_the_card(person):
    person.say("dang ky khai sinh cho con o dau")
    assert "024 0000 0001 (chưa xác nhận)" in person.text
    assert "Trong ngày (chưa xác nhận)" in person.text


def test_card_offers_details_and_the_next_two_candidates(person):
    person.say("dang ky khai sinh cho con o dau")
    labels = person.labels()
    assert any("Các bước" in label for label in labels)
    assert any("Căn cứ pháp lý" in label for label in labels)
    assert sum(1 for d in all_data(person) if d.startswith("p:o:")) == 2


def test_steps_button_shows_steps_and_linked_procedures(person):
    person.say("dang ky khai sinh cho con o dau")
    person.press("Các bước")
    assert "1. Nộp tờ khai và giấy chứng sinh" in person.text
    person.press("Đăng ký lại khai sinh")
    assert "Đăng ký lại khai sinh" in person.text and "5.000 đồng" in person.text


def test_legal_basis_button_lists_the_legal_documents(person):
    person.say("đăng ký kết hôn cần giấy tờ gì")
    person.press("Căn cứ pháp lý")
    assert "Luật Hộ tịch 2014" in person.text


def test_unsure_question_asks_which_of_three_is_meant(person):
    person.say("đăng ký")
    assert "thủ tục nào" in person.text
    assert sum(1 for d in all_data(person) if d.startswith("p:o:")) == 3
    person.press("Đăng ký lại khai sinh")
    assert "Tờ khai đăng ký lại khai sinh" in person.text


def test_no_match_says_so_and_offers_to_ask_staff(person):
    person.say("giá vàng hôm nay")
    assert "chưa tìm thấy" in person.text
    assert any("cán bộ" in label for label in person.labels())


def test_unmatched_question_becomes_a_ticket_when_passed_to_staff(person):
    person.start_and_consent()
    person.say("xin giấy phép nuôi chim yến ở đâu")
    person.press("Chuyển câu hỏi cho cán bộ")
    assert "PA-" not in person.text and "nuôi chim yến" in person.text  # the summary first: nothing filed yet
    person.press("Gửi phản ánh")
    assert "PA-" in person.text


def test_staff_see_the_most_frequent_unmatched_questions(person, officer):
    person.start_and_consent()  # questions of citizens who did not consent are not kept
    person.say("giá vàng hôm nay")
    person.say("Giá vàng hôm nay?")
    person.say("thời tiết ngày mai")
    officer.say("/unmatched")
    lines = officer.text.splitlines()
    assert "2 × " in lines[1] and "giá vàng" in lines[1].lower()
    assert any("1 × thời tiết ngày mai" in line for line in lines)


def test_a_question_after_a_card_is_answered_about_that_procedure(person):
    person.say("dang ky khai sinh cho con o dau")
    person.say("le phi bao nhieu")
    assert "Đăng ký khai sinh" in person.text and "Miễn phí nếu đăng ký đúng hạn" in person.text
    assert "Giấy tờ" not in person.text  # only what was asked, and the whole card one press away
    assert any(d.startswith("p:o:") for d in all_data(person))


def test_a_question_naming_another_procedure_after_a_card_gets_that_procedure(person):
    person.say("dang ky khai sinh cho con o dau")
    person.say("lam can cuoc mat bao lau")
    assert "Đăng ký khai sinh" not in person.text.splitlines()[0]


def test_a_follow_up_question_without_a_card_before_asks_which_procedure(person):
    person.say("le phi bao nhieu")
    assert "Miễn phí nếu đăng ký đúng hạn" not in person.text
    assert "lệ phí của thủ tục nào" in person.text


def test_a_follow_up_after_a_question_that_got_no_card_is_not_about_an_older_card(person):
    person.say("dang ky khai sinh cho con o dau")
    person.say("gia vang hom nay")  # no card: the birth registration is no longer what is talked about
    person.say("le phi bao nhieu")
    assert "Miễn phí nếu đăng ký đúng hạn" not in person.text


def test_an_english_follow_up_is_answered_in_english_about_the_card(person):
    person.say("how do I register a birth")
    person.say("how long does it take?")
    assert "Birth registration" in person.text and "Processing time" in person.text


def test_thanks_after_an_english_answer_stays_english(person):
    person.say("how do I register a birth")
    person.say("thanks")
    assert "You're welcome" in person.text
    person.say("where do I register a death")
    assert "You wrote in English" not in person.text  # offered once


def test_a_number_typed_alone_gets_the_menu_not_an_offer_to_ask_staff(person):
    person.say("3")
    assert "p:ask" not in all_data(person) and "m:feedback" in all_data(person)


@pytest.fixture
def shipped_person(sqlite_engine: Engine, settings: Settings) -> Chat:
    kb = load_knowledge_base()
    return Chat(Dispatcher(sqlite_engine, settings, kb, Matcher(kb, semantic=False)), "citizen-11")


def test_the_wards_phone_or_hours_asked_plainly_get_the_one_stop_desk(shipped_person):
    for question in ("so dien thoai phuong", "phuong lam viec may gio", "dia chi ubnd phuong"):
        shipped_person.say(question)
        assert "Bộ phận Một cửa" in shipped_person.text.splitlines()[2], question
        assert "m:contact" in all_data(shipped_person), question


def test_a_named_office_asked_for_its_phone_comes_first(shipped_person):
    shipped_person.say("sdt cong an phuong")
    assert "Công an phường" in shipped_person.text.splitlines()[2]


def test_a_procedure_question_that_mentions_a_phone_number_is_not_a_contact_question(shipped_person):
    for question in ("thay doi sdt tren cccd", "cap nhat so dien thoai bhxh", "dang ky sdt chinh chu",
                     "lam ho chieu o dau"):
        shipped_person.say(question)
        assert "m:contact" not in all_data(shipped_person), question


def test_opening_days_asked_plainly_get_the_one_stop_desk(shipped_person):
    for question in ("thu 7 phuong co lam khong", "chu nhat co lam viec ko", "What are the office hours?"):
        shipped_person.say(question)
        assert "m:contact" in all_data(shipped_person), question


def test_mat_bao_lau_asks_how_long_not_about_a_lost_paper(shipped_person):
    shipped_person.say("lam ho chieu mat bao lau")
    assert "Cấp hộ chiếu phổ thông" in shipped_person.text.splitlines()[0]


def test_unmarked_vo_after_cho_is_a_wife_not_something_broken(shipped_person):
    shipped_person.say("dang ky thuong tru cho vo")
    assert "m:feedback" not in all_data(shipped_person)  # not "do you want to report a problem?"
    assert "Đăng ký thường trú" in shipped_person.text


def test_complaint_points_to_filing_feedback(person):
    person.say("đèn đường ngõ 5 hỏng cả tuần nay")
    assert "m:feedback" in all_data(person)


def test_status_question_points_to_own_tickets(person):
    person.say("phản ánh của tôi đã xử lý chưa")
    assert "m:mine" in all_data(person)


def test_question_about_a_filed_dossier_says_where_to_look_it_up(person):
    person.say("tra cuu tinh trang ho so")
    assert "Tra cứu hồ sơ" in person.text and "dichvucong.gov.vn" in person.text
    assert "m:mine" in all_data(person)  # and where the tickets sent through the bot are


def test_a_dossier_question_offers_to_report_a_late_dossier_with_the_question_as_its_text(person):
    person.start_and_consent()
    person.say("ho so khai sinh toi nop tuan truoc bao gio co ket qua")
    assert "quá ngày hẹn" in person.text
    person.press("Phản ánh hồ sơ trễ hạn")
    assert "Nội dung đã ghi: ho so khai sinh toi nop tuan truoc" in person.text and "Bước 1/6" in person.text


def test_question_about_a_ticket_code_does_not_talk_about_dossiers(person):
    person.say("phản ánh của tôi đã xử lý chưa")
    assert "Tra cứu hồ sơ" not in person.text


def test_question_about_the_documents_of_ones_dossier_is_a_procedure_question(person):
    person.say("hồ sơ của tôi làm khai sinh cần giấy tờ gì")
    assert "Tra cứu hồ sơ" not in person.text and "Đăng ký khai sinh" in person.text


def test_stale_or_malformed_buttons_get_a_polite_answer(person):
    for data in ("p:o:9.999999", "p:zzz", "p:s:", "p:ask", "p:l:#000000000000"):
        person.send(callback=data)
        assert "không còn hiệu lực" in person.text, data


def test_button_data_fits_the_messenger_limit_even_for_long_local_ids(person):
    person.say("photo công chứng giấy tờ")
    data = all_data(person)
    assert data and all(len(d.encode("utf-8")) <= MAX_DATA_BYTES for d in data)
    person.press("Các bước")
    assert "Xuất trình bản chính" in person.text


def test_english_reader_gets_the_card_in_english(person):
    person.send(callback="lang:en")
    person.say("birth registration")
    if "Which" in person.text:
        person.press("Birth registration")
    assert "Birth registration" in person.text
    assert "Where to file" in person.text and "Monday-Friday" in person.text


def test_a_question_written_in_english_is_answered_in_english_and_offers_to_keep_english(person):
    person.say("how do I register a birth")
    assert "Where to file" in person.last[0].text and "Nơi nhận hồ sơ" not in person.last[0].text
    assert "You wrote in English" in person.text
    person.press("Always English")
    person.say("birth registration")
    assert "Where to file" in person.text and "You wrote in English" not in person.text


def test_keeping_english_is_offered_once_and_a_vietnamese_question_is_answered_in_vietnamese(person):
    person.say("how do I register a birth")
    person.say("where do I register a birth")
    assert "Where to file" in person.text and "You wrote in English" not in person.text
    person.say("dang ky khai sinh cho con o dau")
    assert "Nơi nhận hồ sơ" in person.text


def test_the_buttons_pressed_after_an_english_answer_stay_in_english(person):
    person.say("the street light in front of my house is broken")
    person.send(callback="m:feedback")
    assert "To send feedback we need" in person.text  # the consent asked first, in English


def test_thanks_typed_without_marks_is_thanked_in_vietnamese_not_greeted_in_english(person):
    person.say("cam on")
    assert "Không có gì" in person.text and "English" not in person.text


def test_a_vietnamese_question_typed_without_marks_stays_vietnamese(person):
    person.say("dang ky khai sinh cho con o dau")
    assert "Nơi nhận hồ sơ" in person.text and "English" not in person.text


def test_complaint_that_names_a_procedure_also_offers_that_procedure(sqlite_engine, settings):
    kb = load_knowledge_base()
    chat = Chat(Dispatcher(sqlite_engine, settings, kb, Matcher(kb, semantic=False)), "citizen-10")
    chat.say("tôi muốn tố cáo cán bộ phường nhận hối lộ")
    assert "m:feedback" in all_data(chat)  # the tố cáo procedure's card, and sending a feedback instead
    assert "p:s:local.to-cao" in all_data(chat)


def test_very_long_details_are_cut_to_fit_one_message(sqlite_engine, settings, tmp_path):
    from tests.kb_helpers import fixture_procedures, write_kb

    procs = fixture_procedures()
    procs[0]["steps"] = [f"Bước {i}: " + "rất dài " * 60 for i in range(40)]
    kb = load_knowledge_base(write_kb(tmp_path, procs))
    chat = Chat(Dispatcher(sqlite_engine, settings, kb, Matcher(kb, semantic=False)), "citizen-11")
    chat.say("dang ky khai sinh cho con o dau")
    chat.press("Các bước")
    assert 3000 < len(chat.text) <= 4096 and chat.text.endswith("…")


def test_question_for_an_office_phone_gets_that_office_contact(person):
    person.say("số điện thoại công an phường")
    assert "Công an phường Thử Nghiệm" in person.text and "Số 2 Đường Thử" in person.text
    assert "m:contact" in all_data(person)


def test_card_leads_with_what_was_asked(person):
    person.say("đăng ký khai sinh cho con mất bao nhiêu tiền")
    lines = person.text.splitlines()
    assert any("Bạn hỏi về lệ phí" in line for line in lines[:4])
    asked = next(i for i, line in enumerate(lines) if "Bạn hỏi về" in line)
    assert lines[asked + 1].startswith("💰 Lệ phí")


def test_question_on_a_condition_offers_staff_with_the_procedure_named(person):
    person.start_and_consent()
    person.say("đăng ký khai sinh cho con có bắt buộc phải có giấy chứng sinh không")
    assert "điều kiện" in person.text and "Đăng ký khai sinh" in person.text
    person.press("Chuyển câu hỏi cho cán bộ")
    assert "giấy chứng sinh" in person.text  # the summary first: nothing is filed before "Gửi"
    person.press("Gửi phản ánh")
    assert "PA-" in person.text


def test_choices_say_each_procedures_office(person):
    person.say("đăng ký")
    assert person.text.count("🏢 Bộ phận Một cửa UBND phường Thử Nghiệm") >= 2


def test_a_divorce_is_redirected_to_the_court(person):
    person.say("thủ tục ly hôn đơn phương")
    assert "Tòa án" in person.text
    assert "chưa tìm thấy" not in person.text


def test_a_first_driving_licence_is_redirected_to_training_and_the_police_exam(person):
    person.say("thi bang lai xe may can gi")
    assert "cơ sở đào tạo lái xe" in person.text
    assert "chưa tìm thấy" not in person.text


def test_personal_income_tax_is_redirected_to_the_tax_office(person):
    person.say("nộp thuế thu nhập cá nhân quyết toán")
    assert "cơ quan thuế" in person.text


def test_motorbike_insurance_is_redirected_to_insurers_not_health_insurance(person):
    person.say("mua bảo hiểm xe máy ở đâu")
    assert "công ty bảo hiểm" in person.text


def test_an_electricity_or_water_bill_is_redirected_to_the_supplier(person):
    person.say("tien dien nha toi thang nay cao qua")
    assert "Công ty Điện lực" in person.text
    person.say("hóa đơn nước tăng gấp đôi")
    assert "công ty cấp nước" in person.text


def test_an_area_wide_power_cut_is_still_a_complaint_to_the_ward(person):
    person.say("mat dien ca ngay o ngo 5 khong ai sua")
    assert "Công ty Điện lực" not in person.text and "phản ánh" in person.text.lower()


def test_angry_emoji_alone_get_sympathy_and_the_way_to_complain(person):
    person.say("😡😡😡")
    assert "Rất tiếc" in person.text and "Gửi phản ánh" in " ".join(person.labels())


def test_asking_whether_anyone_is_there_gets_a_greeting_not_not_found(person):
    person.say("co ai ko")
    assert "Xin chào" in person.text and "chưa tìm thấy" not in person.text


@pytest.mark.parametrize("greeting", ["chao", "chao ad", "Chào"])
def test_a_bare_greeting_without_marks_is_greeted_not_not_found(person, greeting: str):
    person.say(greeting)
    assert "Xin chào" in person.text and "chưa tìm thấy" not in person.text


def test_the_directory_shows_the_wards_own_offices_and_the_others_one_tap_away(shipped_person):
    shipped_person.send(callback="m:contact")
    assert "Công an phường Thanh Xuân" in shipped_person.text
    assert "Sở Tư pháp" not in shipped_person.text
    shipped_person.press("Sở Tư pháp")
    assert "1B Trần Phú" in shipped_person.text


def test_a_bare_wish_to_complain_gets_the_form_without_an_unrelated_procedure(shipped_person):
    shipped_person.say("toi muon phan anh")
    assert "Gửi phản ánh" in " ".join(shipped_person.labels())
    assert not [d for d in all_data(shipped_person) if d.startswith("p:")]


def test_a_complaint_naming_a_formal_procedure_still_offers_it(shipped_person):
    shipped_person.say("toi muon gui don khieu nai quyet dinh thu hoi dat cua phuong")
    assert "Giải quyết khiếu nại" in " ".join(shipped_person.labels()) + shipped_person.text


def test_first_grade_enrolment_is_redirected_but_a_school_transfer_is_the_wards_procedure(shipped_person):
    shipped_person.say("cho con vao lop 1 trai tuyen")
    assert "tuyển sinh" in shipped_person.text and "📋" not in shipped_person.text  # no procedure card
    shipped_person.say("chuyen truong cho con vao lop 6")
    assert "📋 Chuyển trường" in shipped_person.text


def test_a_domestic_adoption_is_a_ward_procedure(shipped_person):
    shipped_person.say("nhan con nuoi can giay to gi")
    assert "Đăng ký việc nuôi con nuôi trong nước" in shipped_person.text and "400.000" in shipped_person.text


def test_a_missing_phone_is_said_plainly_with_the_one_stop_phone(person):
    person.send(callback="p:o:2.001583")  # the identity card, at the ward police (no phone in the data)
    assert "Cấp lại thẻ căn cước" in person.text
    assert "bạn gọi Bộ phận Một cửa phường" not in person.text  # no 'ubnd-phuong' here
    assert "ℹ️ Chưa có số điện thoại" in person.text and "bạn hỏi trực tiếp tại cơ quan này" in person.text
    assert "tại Bộ phận Một cửa phường" not in person.text  # the police are not the one-stop desk


def test_in_person_filing_names_the_procedures_own_office(person):
    person.say("dang ky khai sinh cho con o dau")
    assert "trực tiếp tại Bộ phận Một cửa UBND phường Thử Nghiệm" in person.text


def test_english_card_of_a_curated_procedure_is_english_and_says_what_is_vietnamese_only(sqlite_engine, settings):
    kb = load_knowledge_base()
    chat = Chat(Dispatcher(sqlite_engine, settings, kb, Matcher(kb, semantic=False)), "citizen-12")
    chat.send(callback="lang:en")
    chat.say("passport application")
    assert "2 portrait photos 4x6 cm" in chat.text and "200,000 VND" in chat.text
    assert "Tờ khai" not in chat.text
    assert "In Vietnamese only: the steps and the legal basis" in chat.text


def test_every_curated_procedure_has_its_card_facts_in_english():
    for proc in load_knowledge_base().procedures:
        assert proc.fee_en and proc.processing_time_en, proc.id
        assert len(proc.documents_en) == len(proc.documents), proc.id
        assert bool(proc.note_en) == bool(proc.note), proc.id


def test_a_foreigners_stay_is_redirected_to_the_police_but_a_citizens_stay_is_the_wards_procedure(shipped_person):
    shipped_person.say("chong toi nguoi han quoc muon dang ky tam tru cho nguoi nuoc ngoai o phuong")
    assert "Công an phường" in shipped_person.text and "Quản lý xuất nhập cảnh" in shipped_person.text
    shipped_person.say("dang ky tam tru cho nguoi thue tro")
    assert "📋 Đăng ký tạm trú" in shipped_person.text


def test_a_fee_question_with_everyday_words_offers_the_procedure_not_not_found(shipped_person):
    shipped_person.say("le phi lam so do bao nhieu")
    assert "chưa tìm thấy" not in shipped_person.text
    assert "Đăng ký đất đai" in shipped_person.text


def test_an_amount_in_a_fee_question_does_not_hide_the_procedure(shipped_person):
    shipped_person.say("phi doi bang lai 135k a")
    assert "📋 Đổi giấy phép lái xe" in shipped_person.text


def test_an_official_asking_for_money_is_taken_as_a_complaint(shipped_person):
    shipped_person.say("can bo mot cua doi 500k moi giai quyet ho so nhanh")
    assert "Gửi phản ánh" in " ".join(shipped_person.labels())
    assert not [d for d in all_data(shipped_person) if d.startswith("p:")]


def test_a_pension_question_is_redirected_to_social_insurance_not_given_the_survivors_card(shipped_person):
    shipped_person.say("me toi 60 tuoi roi muon lam luong huu thi nop o dau")
    assert "Bảo hiểm xã hội" in shipped_person.text and "📋" not in shipped_person.text


def test_a_foreigner_named_anywhere_with_a_stay_is_the_police_matter(shipped_person):
    shipped_person.say("người nước ngoài thuê nhà mình thì khai báo tạm trú sao")
    assert "Công an phường" in shipped_person.text and "📋 Đăng ký tạm trú" not in shipped_person.text


@pytest.mark.parametrize("question", ["phường có làm việc thứ 7 không", "hom nay phuong co lam viec ko"])
def test_asking_whether_the_ward_is_open_on_a_day_gets_its_hours(shipped_person, question: str):
    shipped_person.say(question)
    assert "chưa tìm thấy" not in shipped_person.text and "Thứ Hai - Thứ Sáu" in shipped_person.text


@pytest.mark.parametrize(("question", "office"), [
    ("vay tien ngan hang nao lai suat thap", "ngân hàng"),
    ("thue khoan ho kinh doanh dong o dau", "cơ quan thuế"),
    ("cong ty nao dang tuyen dung lao dong", "Trung tâm Dịch vụ việc làm"),
])
def test_loans_business_tax_and_jobs_are_redirected_not_given_a_ward_card(shipped_person, question: str, office: str):
    shipped_person.say(question)
    assert office in shipped_person.text and "📋" not in shipped_person.text


def test_a_mortgage_for_a_bank_loan_stays_the_wards_registration(shipped_person):
    shipped_person.say("dang ky the chap so do de vay ngan hang")
    assert "thế chấp" in shipped_person.text.lower() and "lãi suất" not in shipped_person.text
