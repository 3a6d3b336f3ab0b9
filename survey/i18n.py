"""Every text a respondent reads, in English and Simplified Chinese.

Texts that depend on who answers (stakeholders rate `importance`, internal assessors rate
`business_impact`) have one entry per dimension, ``"<name>.<dimension>"``, and fall back to
the `importance` wording for dimensions added later.
"""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "page_title": "Stakeholder survey",
        "language": "Language",
        "title.importance": "Which sustainability topics matter to you?",
        "title.business_impact": "How significant is each topic to our business?",
        "who": (
            "**Who is asking.** The sustainability (ESG) committee of the company, for its "
            "materiality assessment {year}."
        ),
        "why.importance": (
            "**Why.** Every year we ask the people we work with which environmental, social and "
            "governance topics matter most. Your answers decide which topics we manage and report "
            "on first."
        ),
        "why.business_impact": (
            "**Why.** As an internal assessor you rate how significant each topic is to the "
            "company's business: its risks, opportunities and effect on results. Your ratings "
            "form the business axis of the materiality matrix, next to the stakeholders' view."
        ),
        "answering_as": "You are answering as: **{group}**.",
        "privacy": (
            "**Your privacy.** We store no name, e-mail or IP address with your answers. Results "
            "are only reported for whole groups, never for one person. Only the committee sees the "
            "results. You can ask for your answers to be deleted at any time."
        ),
        "time": "**Time.** About {minutes} minutes for {topics} topics.",
        "scale_hint": 'Choose a rating from {low} to {high} for each topic, or "Don\'t know".',
        "dont_know": "Don't know",
        "comment": "Comment (optional)",
        "suggestion": "An important topic we missed? (optional)",
        "progress": "{answered} of {total} topics answered",
        "save": "Save and continue later",
        "saved": "Your answers are saved. Open the same link again to continue where you left off.",
        "resumed": "Welcome back: your saved answers are filled in below.",
        "submit": "Submit my answers",
        "required": 'Please choose a rating or "Don\'t know" for this topic.',
        "missing": "{count} topic(s) still need an answer; they are marked below.",
        "thanks": "Thank you! Your answers have been recorded.",
        "already_submitted": (
            "This survey has already been submitted from this link. Thank you for taking part!"
        ),
        "closed": "This survey is not accepting answers at the moment. Thank you for your interest.",
        "invalid_link": (
            "This link cannot be used. Please open the complete link from your invitation, "
            "or contact the person who sent it."
        ),
        "use_your_link": "Taking part in the survey? Please open the link from your invitation.",
        "open_link": (
            "This is an open link that anyone can use: your answers are not saved until you submit, "
            "so please answer in one go."
        ),
    },
    "zh": {
        "page_title": "利益相关方调查",
        "language": "语言",
        "title.importance": "哪些可持续发展议题对您重要？",
        "title.business_impact": "各议题对公司业务的影响有多大？",
        "who": "**调查方。** 公司可持续发展（ESG）委员会，用于{year}年度重要性评估。",
        "why.importance": (
            "**目的。** 我们每年都会询问与我们合作的各方，哪些环境、社会及治理议题最为重要。"
            "您的回答将决定我们优先管理和披露哪些议题。"
        ),
        "why.business_impact": (
            "**目的。** 作为内部评估人员，请您评估各议题对公司业务的重要性，包括风险、机遇及对业绩的影响。"
            "您的评分将构成重要性矩阵中的业务维度，与利益相关方的观点并列呈现。"
        ),
        "answering_as": "您的身份：**{group}**。",
        "privacy": (
            "**隐私保护。** 我们不会随答案保存您的姓名、电子邮箱或 IP 地址。结果仅按群体汇总报告，"
            "绝不针对个人。只有委员会可以查看结果。您可以随时要求删除您的答案。"
        ),
        "time": "**所需时间。** 共 {topics} 个议题，约 {minutes} 分钟。",
        "scale_hint": "请为每个议题选择 {low} 至 {high} 的评分，或选择“不清楚”。",
        "dont_know": "不清楚",
        "comment": "评论（可选）",
        "suggestion": "我们是否遗漏了重要议题？（可选）",
        "progress": "已回答 {answered}/{total} 个议题",
        "save": "保存，稍后继续",
        "saved": "您的答案已保存。再次打开同一链接即可继续作答。",
        "resumed": "欢迎回来：您已保存的答案已填入下方。",
        "submit": "提交答案",
        "required": "请为此议题选择一个评分或“不清楚”。",
        "missing": "还有 {count} 个议题尚未作答，已在下方标出。",
        "thanks": "谢谢！您的答案已记录。",
        "already_submitted": "此链接的问卷已经提交。感谢您的参与！",
        "closed": "本调查目前不接受作答。感谢您的关注。",
        "invalid_link": "此链接无法使用。请打开邀请中的完整链接，或联系发送邀请的人员。",
        "use_your_link": "参与调查？请打开邀请中的链接。",
        "open_link": "这是一个任何人都可以使用的公开链接：提交之前答案不会被保存，请一次完成作答。",
    },
}


def language_or_default(language: str | None) -> str:
    return language if language in STRINGS else DEFAULT_LANGUAGE


def text(language: str | None, name: str, dimension: str | None = None, **values: object) -> str:
    """The text `name` in `language` (English when unknown), filled with `values`."""
    strings = STRINGS[language_or_default(language)]
    if dimension is not None:
        name = f"{name}.{dimension}" if f"{name}.{dimension}" in strings else f"{name}.importance"
    return strings[name].format(**values) if values else strings[name]


def minutes_needed(topics: int) -> int:
    """About 15 seconds a topic, read and rated, plus a minute for the introduction."""
    return max(1, round(topics * 15 / 60) + 1)
