package train

import (
	"cmp"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
)

// Rating is one rating of rating_new: user, movie, the value in stars and
// the Unix time it was given.
type Rating struct {
	User, Item int32
	Value      float32
	Time       int64
}

// Split orders ratings by time (ties by user, then movie, so that the split
// is the same every run) and returns the oldest part for training and the
// newest fraction for validation: the time-based holdout of a recommender
// that must predict tomorrow's ratings from today's.
func Split(ratings []Rating, fraction float64) (train, validation []Rating) {
	slices.SortFunc(ratings, func(a, b Rating) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.User, b.User), cmp.Compare(a.Item, b.Item))
	})
	n := int(float64(len(ratings)) * fraction)
	return ratings[:len(ratings)-n], ratings[len(ratings)-n:]
}

// Regularisation of the biases, as in Koren's baseline predictors: an item
// with few ratings keeps its bias near zero, a user's likewise.
const (
	ItemLambda = 25
	UserLambda = 10
	// biasRounds alternates the item and user biases this often; the
	// changes are below 1e-4 stars after three.
	biasRounds = 5
)

// Model predicts a rating as the global mean plus the user's and the item's
// biases, plus the dot product of their factors when it has any.
type Model struct {
	Mean     float64
	UserBias map[int32]float64
	ItemBias map[int32]float64
	// Factors per user and item; empty for the biases alone.
	UserFactors map[int32][]float64
	ItemFactors map[int32][]float64
}

// Predict is the model's rating of item by user, clamped to 0.5..5 stars.
// A user or item the model has not seen has no bias and no factors.
func (m *Model) Predict(user, item int32) float64 {
	p := m.Mean + m.UserBias[user] + m.ItemBias[item]
	if pu, ok := m.UserFactors[user]; ok {
		if qi, ok := m.ItemFactors[item]; ok {
			for k := range pu {
				p += pu[k] * qi[k]
			}
		}
	}
	return min(max(p, 0.5), 5)
}

// RMSE is the model's root mean squared error on ratings (0 for none).
func (m *Model) RMSE(ratings []Rating) float64 {
	return rmse(ratings, m.Predict)
}

func rmse(ratings []Rating, predict func(user, item int32) float64) float64 {
	if len(ratings) == 0 {
		return 0
	}
	var sum float64
	for _, r := range ratings {
		d := float64(r.Value) - predict(r.User, r.Item)
		sum += d * d
	}
	return math.Sqrt(sum / float64(len(ratings)))
}

// Mean is the global mean of the ratings, the baseline every model must
// beat.
func Mean(ratings []Rating) float64 {
	if len(ratings) == 0 {
		return 0
	}
	var sum float64
	for _, r := range ratings {
		sum += float64(r.Value)
	}
	return sum / float64(len(ratings))
}

// FitBiases fits the global mean and the regularised user and item biases
// by alternating least squares: each item's bias is the shrunk mean of its
// ratings' residuals after the user biases, Σ(r-μ-b_u)/(ItemLambda+n_i),
// then each user's likewise after the item biases.
func FitBiases(ratings []Rating) *Model {
	d := index(ratings)
	m := &Model{Mean: Mean(ratings), UserBias: map[int32]float64{}, ItemBias: map[int32]float64{}}
	bu, bi := make([]float64, len(d.users)), make([]float64, len(d.items))
	sum := make([]float64, max(len(d.users), len(d.items)))
	n := make([]int, len(sum))
	for range biasRounds {
		clear(sum)
		clear(n)
		for _, o := range d.obs {
			sum[o.i] += float64(o.r) - m.Mean - bu[o.u]
			n[o.i]++
		}
		for i := range bi {
			bi[i] = sum[i] / (ItemLambda + float64(n[i]))
		}
		clear(sum)
		clear(n)
		for _, o := range d.obs {
			sum[o.u] += float64(o.r) - m.Mean - bi[o.i]
			n[o.u]++
		}
		for u := range bu {
			bu[u] = sum[u] / (UserLambda + float64(n[u]))
		}
	}
	for i, u := range d.users {
		m.UserBias[u] = bu[i]
	}
	for i, it := range d.items {
		m.ItemBias[it] = bi[i]
	}
	return m
}

// obs is a rating by dense user and item index.
type obs struct {
	u, i int32
	r    float32
}

// indexed are ratings with users and items numbered densely in order of
// first appearance, so that nothing depends on map order.
type indexed struct {
	users, items []int32 // id by index
	obs          []obs
}

func index(ratings []Rating) indexed {
	uidx, iidx := map[int32]int32{}, map[int32]int32{}
	d := indexed{obs: make([]obs, len(ratings))}
	for n, r := range ratings {
		u, ok := uidx[r.User]
		if !ok {
			u = int32(len(d.users))
			uidx[r.User] = u
			d.users = append(d.users, r.User)
		}
		i, ok := iidx[r.Item]
		if !ok {
			i = int32(len(d.items))
			iidx[r.Item] = i
			d.items = append(d.items, r.Item)
		}
		d.obs[n] = obs{u, i, r.Value}
	}
	return d
}

// MF are the settings of matrix factorisation by stochastic gradient
// descent (Funk's SVD with biases).
type MF struct {
	Factors int
	Epochs  int
	// LearnRate and Reg are the step size and the L2 regularisation of
	// every parameter.
	LearnRate, Reg float64
	// Seed makes the initial factors and the order of the ratings in each
	// epoch: the same seed gives the same model.
	Seed uint64
}

// DefaultMF are the factorisation settings Run uses.
var DefaultMF = MF{Factors: 16, Epochs: 20, LearnRate: 0.007, Reg: 0.05, Seed: 1}

// FitMF starts from the biases of base and learns factors of users and
// items on the residuals, updating the biases too. It returns a new model;
// base is not changed.
func FitMF(ratings []Rating, base *Model, o MF) *Model {
	m := &Model{Mean: base.Mean, UserBias: maps.Clone(base.UserBias), ItemBias: maps.Clone(base.ItemBias),
		UserFactors: map[int32][]float64{}, ItemFactors: map[int32][]float64{}}
	if o.Factors <= 0 || len(ratings) == 0 {
		return m
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6d66))
	d := index(ratings)
	uids, iids := d.users, d.items
	k := o.Factors
	init := func(n int) []float64 {
		f := make([]float64, n*k)
		for i := range f {
			f[i] = rng.NormFloat64() * 0.05
		}
		return f
	}
	P, Q := init(len(uids)), init(len(iids))
	bu, bi := make([]float64, len(uids)), make([]float64, len(iids))
	for i, u := range uids {
		bu[i] = base.UserBias[u]
	}
	for i, it := range iids {
		bi[i] = base.ItemBias[it]
	}
	// One seeded shuffle, then the same order every epoch: shuffling each
	// epoch cost as much as the updates (a cache miss per swap) for no
	// gain in RMSE.
	data := d.obs
	rng.Shuffle(len(data), func(a, b int) { data[a], data[b] = data[b], data[a] })
	lr, reg := o.LearnRate, o.Reg
	for range o.Epochs {
		for _, d := range data {
			p, q := P[int(d.u)*k:int(d.u)*k+k], Q[int(d.i)*k:int(d.i)*k+k]
			pred := m.Mean + bu[d.u] + bi[d.i]
			for f := range p {
				pred += p[f] * q[f]
			}
			e := float64(d.r) - pred
			bu[d.u] += lr * (e - reg*bu[d.u])
			bi[d.i] += lr * (e - reg*bi[d.i])
			for f := range p {
				pf, qf := p[f], q[f]
				p[f] += lr * (e*qf - reg*pf)
				q[f] += lr * (e*pf - reg*qf)
			}
		}
	}
	for i, u := range uids {
		m.UserBias[u] = bu[i]
		m.UserFactors[u] = P[i*k : i*k+k : i*k+k]
	}
	for i, it := range iids {
		m.ItemBias[it] = bi[i]
		m.ItemFactors[it] = Q[i*k : i*k+k : i*k+k]
	}
	return m
}
