from pipeline.nlp.segmentation.segmenter import cut_with


def _chars(text):
    return list(text)


def _whole(text):
    return [text]


def test_standalone_symbols_are_words_of_their_own():
    # the model glued ℃ to the number after it ("℃/5"); the corpus never does
    assert cut_with(_whole, "-3℃/5℃") == ["-3", "℃", "/5", "℃"]
    assert cut_with(_whole, "●本报讯") == ["●", "本报讯"]
    assert cut_with(_whole, "气温▲上升") == ["气温", "▲", "上升"]


def test_zero_sign_and_text_without_symbols_untouched():
    assert cut_with(_whole, "二○○○年") == ["二○○○年"]  # ○ is a digit zero here
    assert cut_with(_chars, "重庆市") == ["重", "庆", "市"]
    assert cut_with(_whole, "") == [""]


def test_words_cover_the_text():
    text = "北京晴-9℃/0℃，△上海★多云"
    assert "".join(cut_with(_chars, text)) == text
