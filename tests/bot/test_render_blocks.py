from clinops.console import buttons_in, mrkdwn_to_text, render_blocks


def test_a_header_is_underlined_and_mrkdwn_is_plain_text():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Medical ICU (ICU)"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Day shift* _today_ `x`"}},
    ]
    assert render_blocks(blocks) == "Medical ICU (ICU)\n=================\nDay shift today x"


def test_fields_become_label_value_lines_and_context_is_indented():
    blocks = [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Census*\n7 patients"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "As of 10:30"},
                                         {"type": "plain_text", "text": "unit ICU"}]},
    ]
    assert render_blocks(blocks) == (
        "  Census: 7 patients\n" + "-" * 40 + "\n  As of 10:30 · unit ICU"
    )


def test_buttons_are_numbered_in_order_across_blocks():
    blocks = [
        {"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "Open RN shift"},
         "accessory": {"type": "button", "action_id": "claim",
                       "text": {"type": "plain_text", "text": "Claim"}}},
        {"type": "actions", "block_id": "a", "elements": [
            {"type": "button", "action_id": "pass", "text": {"type": "plain_text", "text": "Pass"}},
            {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Why?"}},
            {"type": "button", "action_id": "more", "text": {"type": "plain_text", "text": "More"}},
        ]},
    ]
    assert render_blocks(blocks) == "Open RN shift\n  [1] Claim\n  [2] Pass   <Why?>   [3] More"
    assert [(block_id, b["action_id"]) for block_id, b in buttons_in(blocks)] == [
        ("s", "claim"), ("a", "pass"), ("a", "more")]
    assert "[4] Claim" in render_blocks(blocks[:1], first_button=4)


def test_slack_links_mentions_and_emoji_read_as_words():
    assert mrkdwn_to_text("<https://x.test|the roster> <@U1> <#C1|icu> :warning:") == (
        "the roster @U1 #icu ⚠"
    )


def test_block_kit_objects_render_like_their_dicts():
    from slack_sdk.models.blocks import HeaderBlock

    assert render_blocks([HeaderBlock(text="4W")]) == "4W\n=="
