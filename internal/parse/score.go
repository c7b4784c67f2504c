package parse

import (
	"unicode/utf8"
)

// commonHan holds frequent Chinese characters, simplified and traditional,
// and frequent Japanese kanji. Text decoded in the right encoding is full of
// them; text decoded in the wrong one hits them by chance only.
const commonHan = "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮露永呼味野架域沙掉括舰鱼杂误湖兄纸迫诗训恩钢哲" +
	"這個們來為國對說時會過發後現當動還進點開關間問經頭實體與從學長見樣機業將東應數書網頁讀寫語話電腦們愛無麼裡邊還樂聽覺認識記錄類別選擇連結檔頁圖片標題內容發表評論線場區" +
	"円駅込働様達気楽読書話語私僕俺事々今日明後昨記者会社総理首相政府選挙議員経済新聞放送番組映画音楽写真動画情報検索予定確認変更削除登録購入販売価格送料無料商品"

var commonSet = func() map[rune]bool {
	m := make(map[rune]bool, utf8.RuneCountInString(commonHan))
	for _, r := range commonHan {
		m[r] = true
	}
	return m
}()

// frequentCyrillic are the most frequent lowercase letters of Russian text.
const frequentCyrillic = "оеаинтсрвлкмдпуяызь"

// score rates how much decoded text reads like natural text. Only non-ASCII
// characters count, since every candidate decodes ASCII the same way.
func score(b []byte) int {
	s := 0
	var prev rune
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r < 0x80:
		case r == utf8.RuneError:
			s -= 40
		case r >= 0x80 && r <= 0x9F, r >= 0xE000 && r <= 0xF8FF:
			s -= 10 // C1 controls and private use: never text
		case r >= 0xC0 && r <= 0x24F && r != 0xD7 && r != 0xF7:
			if isASCIILetter(prev) || isASCIILetter(peek(b)) {
				s += 2 // an accented letter inside a Latin word
			}
		case r >= 0x400 && r <= 0x4FF:
			switch {
			case isASCIILetter(prev) || isASCIILetter(peek(b)):
				s -= 3 // Cyrillic glued to Latin: a Latin text misread
			case containsRune(frequentCyrillic, r):
				s += 3
			case r >= 0x430 && r <= 0x44F:
				s += 2
			}
		case r >= 0x3040 && r <= 0x30FF:
			s += 3 // kana
		case r >= 0x4E00 && r <= 0x9FFF:
			if commonSet[r] {
				s += 6
			} else {
				s++
			}
		case r >= 0x3000 && r <= 0x303F, r >= 0xFF01 && r <= 0xFF5E:
			s++ // CJK punctuation, fullwidth ASCII
		case r >= 0x2010 && r <= 0x2026:
			// dashes, quotes, ellipsis: common in any script
		default:
			s--
		}
		prev = r
	}
	return s
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func peek(b []byte) rune {
	if len(b) == 0 {
		return 0
	}
	r, _ := utf8.DecodeRune(b)
	return r
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
